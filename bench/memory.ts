/** Table 5: memory of the server and its sandboxes, with the pool warm and one session open. */
import { createSession, type BenchServer } from './mcp-server.js';
import {
  childPids,
  commandLine,
  descendants,
  processMemory,
  sleep,
  timeSpawn,
  type ProcessMemory,
} from './processes.js';
import { POOL_SIZE, PYTHON, REFILL_PAUSE_MS, progress } from './settings.js';
import { workerImports } from './spawn-to-result.js';
import { mib, renderTable } from './stats.js';

/** A direct child of the server with everything under it. */
export interface ChildTree {
  /** A sandbox runs python/worker.py; anything else (a language server, say) is "other". */
  isSandbox: boolean;
  processes: ProcessMemory[];
}

export async function memoryTable(server: BenchServer): Promise<void> {
  progress('table 5: memory');
  const session = await createSession(server);
  await server.run('x = 1+1', { session_id: session });
  const expected = POOL_SIZE + 1;
  const trees = await settledTrees(server, expected);
  const own = processMemory(server.pid);
  if (own === null) throw new Error('the server is gone');
  const sandboxes = trees.filter((t) => t.isSandbox);
  if (sandboxes.length !== expected)
    progress(`expected ${expected} sandboxes, found ${sandboxes.length}`);
  const inSandboxes = sandboxes.flatMap((t) => t.processes);
  const others = trees.filter((t) => !t.isSandbox).flatMap((t) => t.processes);

  const barePython = await timeSpawn(
    PYTHON,
    ['-c', 'import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)'],
    { env: {} },
  );
  const bareNode = await timeSpawn(
    process.execPath,
    ['-e', 'console.log(process.resourceUsage().maxRSS)'],
    { env: {} },
  );
  const imports = await workerImports();
  const peakOf = async (modules: readonly string[]): Promise<string> => {
    const program = `import ${['resource', ...modules].join(', ')}\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)`;
    return (await timeSpawn(PYTHON, ['-I', '-c', program], { env: {} })).stdout.trim();
  };
  const withImports = await peakOf(imports);
  const peakOnly = (name: string, kib: string): string[] => [name, '1', '-', '-', mib(Number(kib))];
  console.log(
    renderTable(
      `5. Memory with the pool warm and one session open (${sandboxes.length} sandboxes)`,
      ['process', 'count', 'RSS', 'PSS', 'peak RSS (VmHWM)'],
      [
        memoryRow('server (node)', [own]),
        ...byName(inSandboxes).map(([name, list]) => memoryRow(`  sandbox ${name}`, list)),
        memoryRow('all sandbox processes', inSandboxes),
        memoryRow('  per sandbox (average)', inSandboxes, Math.max(1, sandboxes.length)),
        memoryRow('server + sandboxes', [own, ...inSandboxes]),
        ...(others.length === 0
          ? []
          : [
              ...byName(others).map(([name, list]) => memoryRow(`  other child: ${name}`, list)),
              memoryRow('server + every descendant', [own, ...inSandboxes, ...others]),
            ]),
        peakOnly('baseline: bare python3 -c', barePython.stdout.trim()),
        peakOnly("  python3 -I + the worker's imports", withImports),
        peakOnly('baseline: bare node -e', bareNode.stdout.trim()),
      ],
      [
        'Each sandbox is bwrap (outside) and python3 running the worker as pid 1 (inside).',
        'Other children (e.g. a language server) are counted apart from the sandboxes.',
        'RSS counts shared pages (libpython, libc) once per process; PSS divides them among sharers.',
        'Peak for a group is the sum of per-process peaks, an upper bound on the peak of the sum.',
        'Baseline peaks are ru_maxrss / resourceUsage().maxRSS of a bare process.',
      ],
    ),
  );
  await server.call('close_session', { session_id: session });
}

/**
 * The server's child trees once `sandboxes` sandboxes each have their python3 worker, no child is
 * still between fork and exec (it would show as a copy of the server), and the set of processes
 * has not changed for one more poll; or whatever is there after 5 s.
 */
export async function settledTrees(server: BenchServer, sandboxes: number): Promise<ChildTree[]> {
  const serverCommand = commandLine(server.pid);
  const deadline = Date.now() + 5000;
  let previous = '';
  for (;;) {
    await sleep(REFILL_PAUSE_MS);
    server.snapshot();
    const children = childPids(server.pid);
    const trees = children.map((child): ChildTree => {
      const pids = [child, ...descendants(child)];
      return {
        // bwrap's own command line names the worker, so a sandbox is known while it starts.
        isSandbox: pids.some((pid) => commandLine(pid).includes('isolated-pymcp/worker.py')),
        processes: pids.map(processMemory).filter((m): m is ProcessMemory => m !== null),
      };
    });
    const complete = trees.filter(
      (t) => t.isSandbox && t.processes.some((m) => m.name.startsWith('python')),
    ).length;
    const forking = children.some((child) => commandLine(child) === serverCommand);
    const pids = trees.flatMap((t) => t.processes.map((m) => m.pid)).join(' ');
    const settled = complete === sandboxes && !forking && pids === previous;
    previous = pids;
    if (settled) return trees;
    if (Date.now() > deadline) {
      progress(`expected ${sandboxes} sandboxes, found ${complete}; taking the figures anyway`);
      return trees;
    }
  }
}

function byName(list: readonly ProcessMemory[]): Array<[string, ProcessMemory[]]> {
  const groups = new Map<string, ProcessMemory[]>();
  for (const m of list) {
    const name = m.name.startsWith('python') ? 'python3' : m.name;
    groups.set(name, [...(groups.get(name) ?? []), m]);
  }
  return [...groups.entries()];
}

type Field = 'rssKib' | 'pssKib' | 'hwmKib';

function memoryRow(name: string, list: readonly ProcessMemory[], divisor = 1): string[] {
  const sum = (field: Field): string =>
    mib(list.reduce((total, m) => total + m[field], 0) / divisor);
  return [name, String(list.length / divisor), sum('rssKib'), sum('pssKib'), sum('hwmKib')];
}
