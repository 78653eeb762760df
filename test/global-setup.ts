/** Build once before the tests (tsc, then the bundle), so e2e tests drive the current code through bin/. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const root = path.resolve(import.meta.dirname, '..');
  const run = (args: string[]): void => {
    execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  };
  run([path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  // The launcher runs the bundle when there is one: rebuild it, so tests run the current code.
  run([path.join(root, 'scripts/bundle.js')]);
  // The probe cache of the code the tests run in-process (test workers inherit this) lives in a
  // directory of this run: no test depends on what an earlier run left in the tester's home,
  // and the records of each run's temporary interpreters do not pile up there.
  const cache = mkdtempSync(path.join(tmpdir(), 'pymcp-test-cache-'));
  process.env.XDG_CACHE_HOME = cache;
  return () => {
    rmSync(cache, { recursive: true, force: true });
  };
}
