/**
 * A real process that swaps a directory with a symlink to another directory as fast as it can
 * (test/fixtures/flip-dir.py), for racing the path gate against a directory that changes under it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const FLIPPER = path.resolve(import.meta.dirname, '../fixtures/flip-dir.py');

export interface Flipper {
  pid: number;
  /** Stop flipping (the directory is real again); resolves with the number of flips made. */
  stop(): Promise<number>;
}

/** Start swapping `dir` (a real directory) with a symlink to `target`; resolves once it runs. */
export async function startFlipping(dir: string, target: string): Promise<Flipper> {
  const child = spawn('python3', [FLIPPER, dir, target], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const onData = (): void => {
      if (!output.includes('ready\n')) return;
      child.stdout.off('data', onData);
      resolve();
    };
    child.stdout.on('data', onData);
    void exited.then((code) => {
      reject(new Error(`the flipper exited before flipping (status ${String(code)})`));
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the flipper did not start');
  return {
    pid,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      const flips = /flips (\d+)/.exec(output);
      if (code !== 0 || flips === null)
        throw new Error(`the flipper failed (status ${String(code)})`);
      return Number(flips[1]);
    },
  };
}
