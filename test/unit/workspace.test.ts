import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { unreachableReason } from '../../src/shared/host-layout.js';
import { unsafeWorkspaceReason } from '../../src/sandbox/sandbox-factory.js';

describe('unsafeWorkspaceReason', () => {
  test.each([
    ['/', 'root of the file system'],
    ['/home', 'contains /home/alice'],
    ['/home/alice', 'contains /home/alice'],
    ['/root', 'contains /root'],
  ])('refuses %s', (dir, reason) => {
    expect(unsafeWorkspaceReason(dir, '/home/alice')).toContain(reason);
  });

  test.each(['/home/alice/project', '/srv/app', '/tmp/ws'])('accepts %s', (dir) => {
    expect(unsafeWorkspaceReason(dir, '/home/alice')).toBeNull();
  });
});

describe('unreachableReason (real directories and modes)', () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'pymcp-ws-'));
    await chmod(base, 0o755);
    await mkdir(path.join(base, 'open/inner'), { recursive: true });
    await mkdir(path.join(base, 'private/inner'), { recursive: true });
    await chmod(path.join(base, 'private'), 0o700);
    await mkdir(path.join(base, 'unreadable'));
    await chmod(path.join(base, 'unreadable'), 0o711);
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  test('a world-readable directory is reachable by another uid', async () => {
    expect(await unreachableReason(path.join(base, 'open/inner'), 65534, 65534)).toBeNull();
  });

  test('a directory under a private parent is not', async () => {
    expect(await unreachableReason(path.join(base, 'private/inner'), 65534, 65534)).toMatch(
      /private.*not searchable by uid 65534/,
    );
  });

  test('a searchable but unreadable directory is not', async () => {
    expect(await unreachableReason(path.join(base, 'unreadable'), 65534, 65534)).toMatch(
      /not readable/,
    );
  });

  test('the owner can reach its own private directory', async () => {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    expect(await unreachableReason(path.join(base, 'private/inner'), uid, gid)).toBeNull();
  });
});
