/** Build once before the tests (tsc, then the bundle), so e2e tests drive the current code through bin/. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  const run = (args: string[]): void => {
    execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  };
  run([path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  // The launcher runs the bundle when there is one: rebuild it, so tests run the current code.
  run([path.join(root, 'scripts/bundle.js')]);
}
