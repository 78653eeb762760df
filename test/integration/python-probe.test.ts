/** resolvePython on a --python that is not Python: one clear line saying what it is. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { resolvePython } from '../../src/shared/python-runtime.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pymcp-python-probe-'));
  await writeFile(path.join(dir, 'junk'), '#!/bin/sh\necho junk\necho more junk\n', {
    mode: 0o755,
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test.each([
  [
    'a script printing junk',
    'junk',
    /junk: did not answer as Python 3 does \(it printed "junk\\nmore junk\\n"\)/,
  ],
  ['a directory', '.', /: is a directory, not a Python interpreter/],
])('%s', async (_, name, expected) => {
  const error = await resolvePython(path.join(dir, name)).catch((e: unknown) => e as Error);
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).toMatch(expected);
  expect(message).not.toContain('\n');
});
