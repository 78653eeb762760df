/** Baseline processes timed from spawn to exit, and process-tree memory read from /proc. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Timed {
  ms: number;
  stdout: string;
}

/** Spawn `command` with an argument array (no shell) and time it until it has exited. */
export function timeSpawn(
  command: string,
  args: readonly string[],
  options: { env: Record<string, string>; uid?: number; gid?: number },
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      env: options.env,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve({ ms: elapsed, stdout });
      else reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** Spawn `command` `runs` times, one after the other, checking its output. */
export async function timeSpawns(
  runs: number,
  expected: string,
  command: string,
  args: readonly string[],
  options: { env: Record<string, string>; uid?: number; gid?: number },
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { ms, stdout } = await timeSpawn(command, args, options);
    if (stdout.trim() !== expected) throw new Error(`${command} printed ${JSON.stringify(stdout)}`);
    samples.push(ms);
  }
  return samples;
}

export { childPids, descendants } from '../src/shared/process.js';

export interface ProcessMemory {
  pid: number;
  name: string;
  /** Resident set now, peak resident set (VmHWM), proportional set size; KiB. */
  rssKib: number;
  hwmKib: number;
  pssKib: number;
}

/** Memory of one process from /proc, or null when it has gone. */
export function processMemory(pid: number): ProcessMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const pss = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
    return { pid, name, rssKib: field('VmRSS'), hwmKib: field('VmHWM'), pssKib: pss };
  } catch {
    return null;
  }
}

/** The command line of `pid` (arguments joined by spaces), or '' when it has gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat); // a zombie has exited
  } catch {
    return false;
  }
}

/** Wait until none of `pids` is alive; returns the survivors after `timeoutMs`. */
export async function waitGone(pids: Iterable<number>, timeoutMs = 5000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = [...pids].filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(20);
    alive = alive.filter(isAlive);
  }
  return alive;
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
