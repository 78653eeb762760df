/** What every benchmark prints around its tables, and how it runs. */
import { loadavg } from 'node:os';

/** 1, 5 and 15 minute load averages: other work on the machine shows up here. */
export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** The closing lines: processes left behind (the run fails if any) and the time taken. */
export function reportEnd(began: number, left: readonly number[]): void {
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(`processes left running: ${left.length}; bench took ${seconds} s`);
  console.log(`load average at end: ${loadAverage()}`);
  if (left.length > 0) process.exitCode = 1;
}

export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
