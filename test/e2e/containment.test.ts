/**
 * Attacks on the sandbox boundary, driven through the built CLI over stdio. Each test is named
 * after what it blocks and uses a canary (a secret, a host file, a listener) that the code must
 * never reach, with a positive control showing the canary was reachable had the boundary failed.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startServer, structured, textOf, type ServerUnderTest } from '../helpers/mcp-client.js';
import { isAlive } from '../helpers/processes.js';

const SANDBOX_UID = 65534;
const ERRNO_OF =
  'import errno\ndef errname(e):\n    return errno.errorcode.get(e.errno, str(e.errno))\n';

/** A directory under /tmp that the sandbox's host uid could read, were it mounted. */
function publicTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Run Python on the host as the sandbox's uid: proves a canary is readable by that uid. */
function readAsSandboxUid(file: string): string {
  const result = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import sys; print(open(sys.argv[1]).read())', file],
    { uid: SANDBOX_UID, gid: SANDBOX_UID, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } },
  );
  return result.stdout;
}

/** The server still answers: a trivial call completes with its value. */
async function expectServing(server: ServerUnderTest): Promise<void> {
  const result = await server.run('6 * 7');
  expect(textOf(result)).toContain('<status>success</status>');
  expect(structured(result)).toMatchObject({ status: 'completed', return_value: 42 });
}

describe('containment: the sandboxed code cannot reach the host', () => {
  const secret = `canary-${randomBytes(16).toString('hex')}`;
  let server: ServerUnderTest;
  let workspace: string;
  let canaryDir: string;
  let canaryFile: string;

  beforeAll(async () => {
    canaryDir = publicTempDir('pymcp-canary-');
    canaryFile = path.join(canaryDir, 'secret.txt');
    writeFileSync(canaryFile, secret);
    chmodSync(canaryFile, 0o644);
    workspace = publicTempDir('pymcp-workspace-');
    writeFileSync(path.join(workspace, 'README.txt'), 'workspace file\n');
    chmodSync(path.join(workspace, 'README.txt'), 0o644);
    // A symlink in the workspace that points at the host canary.
    symlinkSync(canaryFile, path.join(workspace, 'leak'));
    server = await startServer(['--workspace', workspace], {
      env: { PYMCP_CANARY_SECRET: secret },
    });
  });

  afterAll(async () => {
    const survivors = await server.close();
    rmSync(canaryDir, { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
    expect(survivors).toEqual([]);
  });

  test("blocks reading the server's environment (os.environ and every /proc/*/environ)", async () => {
    // Positive control: the secret really is in the server's environment.
    expect(readFileSync(`/proc/${server.pid}/environ`, 'utf8')).toContain(secret);
    const result = await server.run(
      [
        'import glob, os',
        'seen = {"environ": dict(os.environ)}',
        'for p in ["/proc/1/environ", "/proc/self/environ", *glob.glob("/proc/*/environ")]:',
        '    try:',
        '        with open(p, "rb") as f:',
        '            seen[p] = f.read().decode("utf-8", "replace")',
        '    except OSError as e:',
        '        seen[p] = f"{type(e).__name__}: {e}"',
        'print(seen)',
        'seen',
      ].join('\n'),
    );
    const value = structured(result).return_value as Record<string, unknown>;
    // The code did run and did read the environment ...
    expect(value.environ).toHaveProperty('PATH');
    expect(Object.keys(value)).toEqual(expect.arrayContaining(['/proc/1/environ']));
    // ... and the secret is nowhere in what came back.
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(JSON.stringify(result)).not.toContain('PYMCP_CANARY_SECRET');
  });

  test('blocks reading a host file outside the workspace, directly or through /proc/*/root', async () => {
    // Positive control: the sandbox's host uid could read the canary if it were mounted.
    expect(readAsSandboxUid(canaryFile)).toContain(secret);
    const result = await server.run(
      [
        'import os',
        'out = {}',
        'for p in [canary, "/proc/self/root" + canary, "/proc/1/root" + canary, "/proc/1/cwd/../.." + canary]:',
        '    try:',
        '        with open(p) as f:',
        '            out[p] = "READ " + f.read()',
        '    except OSError as e:',
        '        out[p] = type(e).__name__',
        'out["dir_exists"] = os.path.exists(os.path.dirname(canary))',
        'out',
      ].join('\n'),
      { global_variables: { canary: canaryFile } },
    );
    expect(structured(result).status).toBe('completed');
    const value = structured(result).return_value as Record<string, unknown>;
    expect(value.dir_exists).toBe(false);
    for (const [key, outcome] of Object.entries(value)) {
      if (key === 'dir_exists') continue;
      expect(outcome, key).toMatch(/^(FileNotFoundError|PermissionError|NotADirectoryError)$/);
    }
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  test('blocks following a workspace symlink to a host file', async () => {
    const result = await server.run(
      [
        'import os',
        'out = {"readme": open("/workspace/README.txt").read(), "cwd": os.getcwd()}',
        'try:',
        '    out["leak"] = "READ " + open("/workspace/leak").read()',
        'except OSError as e:',
        '    out["leak"] = type(e).__name__',
        'out',
      ].join('\n'),
    );
    expect(structured(result).return_value).toEqual({
      readme: 'workspace file\n',
      cwd: '/workspace',
      leak: 'FileNotFoundError',
    });
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  test('hides /etc/passwd, /etc/shadow, /root and /home', async () => {
    const result = await server.run(
      'import os\n{p: os.path.exists(p) for p in ["/etc/passwd", "/etc/shadow", "/root", "/home", "/etc/hostname", "/etc/resolv.conf"]}',
    );
    expect(structured(result).return_value).toEqual({
      '/etc/passwd': false,
      '/etc/shadow': false,
      '/root': false,
      '/home': false,
      '/etc/hostname': false,
      '/etc/resolv.conf': false,
    });
  });

  test('blocks connecting to a loopback listener on the host and to external addresses', async () => {
    let connections = 0;
    const listener = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    try {
      // Positive control: the listener is real and counts connections.
      await new Promise<void>((resolve, reject) => {
        const probe = net.createConnection({ host: '127.0.0.1', port }, () => {
          probe.destroy();
          resolve();
        });
        probe.on('error', reject);
      });
      await expect.poll(() => connections).toBe(1);
      connections = 0;

      const result = await server.run(
        [
          'import socket',
          'out = {}',
          'for host, p in [("127.0.0.1", port), ("localhost", port), ("1.1.1.1", 53), ("8.8.8.8", 443)]:',
          '    try:',
          '        socket.create_connection((host, p), timeout=2).close()',
          '        out[f"{host}:{p}"] = "connected"',
          '    except OSError as e:',
          '        out[f"{host}:{p}"] = type(e).__name__',
          'try:',
          '    socket.getaddrinfo("example.com", 80)',
          '    out["dns"] = "resolved"',
          'except OSError as e:',
          '    out["dns"] = type(e).__name__',
          'out',
        ].join('\n'),
        { global_variables: { port }, timeout_seconds: 20 },
      );
      expect(structured(result).status).toBe('completed');
      const value = structured(result).return_value as Record<string, string>;
      expect(Object.keys(value)).toHaveLength(5);
      for (const [target, outcome] of Object.entries(value)) {
        expect(outcome, target).not.toMatch(/connected|resolved/);
      }
      // Give a connection that slipped through time to show up before checking.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  test('blocks writing to /workspace, /usr, / and /opt; /tmp is writable', async () => {
    const result = await server.run(
      [
        ERRNO_OF,
        'out = {}',
        'for p in ["/workspace/pwned", "/workspace/README.txt", "/usr/pwned", "/pwned", "/opt/pwned", "/opt/isolated-pymcp/worker.py", "/etc/ld.so.cache"]:',
        '    try:',
        '        with open(p, "w") as f:',
        '            f.write("x")',
        '        out[p] = "written"',
        '    except OSError as e:',
        '        out[p] = errname(e)',
        'with open("/tmp/ok.txt", "w") as f:',
        '    f.write("fine")',
        'out["/tmp/ok.txt"] = open("/tmp/ok.txt").read()',
        'out',
      ].join('\n'),
    );
    expect(structured(result).status).toBe('completed');
    const value = structured(result).return_value as Record<string, string>;
    expect(value['/tmp/ok.txt']).toBe('fine');
    for (const [file, outcome] of Object.entries(value)) {
      if (file === '/tmp/ok.txt') continue;
      expect(outcome, file).toMatch(/^(EROFS|EACCES|EPERM)$/);
    }
    // Nothing changed on the host.
    expect(existsSync(path.join(workspace, 'pwned'))).toBe(false);
    expect(readFileSync(path.join(workspace, 'README.txt'), 'utf8')).toBe('workspace file\n');
  });

  test('contains a fork bomb with the process limit and the timeout', async () => {
    const result = await server.run(
      [
        'import os',
        'while True:',
        '    try:',
        '        os.fork()',
        '    except OSError:',
        '        pass',
      ].join('\n'),
      { timeout_seconds: 3 },
    );
    expect(result.isError).toBe(true);
    expect(['timed_out', 'killed', 'raised']).toContain(structured(result).status);
    await expectServing(server);
  });

  test('contains a fork bomb that spawns subprocesses', async () => {
    const result = await server.run(
      [
        'import subprocess, sys',
        'procs = []',
        'while True:',
        '    try:',
        '        procs.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]))',
        '    except OSError:',
        '        pass',
      ].join('\n'),
      { timeout_seconds: 3 },
    );
    expect(result.isError).toBe(true);
    await expectServing(server);
  });

  test('stops a huge allocation with the memory limit', async () => {
    const result = await server.run('x = bytearray(8 * 1024**3)\nlen(x)');
    expect(result.isError).toBe(true);
    expect(structured(result).status).toBe('memory_limit');
    expect(structured(result).error?.type).toBe('MemoryError');
    await expectServing(server);
  });

  test('stops a growing list with the memory limit', async () => {
    const result = await server.run(
      'x = []\nwhile True:\n    x.append(bytearray(16 * 1024 * 1024))',
      { timeout_seconds: 20 },
    );
    expect(result.isError).toBe(true);
    expect(structured(result).status).toBe('memory_limit');
    expect(textOf(result)).toContain('MemoryError');
    await expectServing(server);
  });

  test('stops an infinite loop at the timeout', async () => {
    const result = await server.run('while True:\n    pass', { timeout_seconds: 1 });
    expect(result.isError).toBe(true);
    const run = structured(result);
    expect(run.status).toBe('timed_out');
    expect(run.error?.type).toBe('TimeoutError');
    expect(textOf(result)).toContain('<status>run-error</status>');
    await expectServing(server);
  });

  test('caps 100 MB of output from one print: the whole response stays within its budget', async () => {
    const result = await server.run("print('x' * (100 * 1024 * 1024))");
    const run = structured(result);
    expect(run.stdout.length).toBeGreaterThan(0);
    expect(run.truncated.stdout).toBe(true);
    expect(textOf(result)).toMatch(/\[\.\.\. \d+ bytes of output dropped here/);
    // One budget (40 KiB by default) for text and structuredContent together.
    expect(responseBytes(result)).toBeLessThanOrEqual(40 * 1024);
    expect(result.isError).toBe(false);
    await expectServing(server);
  });

  test('caps 100 MB of output from a loop of prints (and on stderr), keeping the head and the tail', async () => {
    const result = await server.run(
      [
        'import sys',
        'print("FIRST LINE")',
        'line = "y" * 1023',
        'for _ in range(100 * 1024):',
        '    print(line)',
        'for _ in range(2 * 1024):',
        '    print(line, file=sys.stderr)',
        'print("LAST LINE", file=sys.stderr)',
      ].join('\n'),
    );
    const run = structured(result);
    expect(run.truncated).toMatchObject({ stdout: true, stderr: true });
    const text = textOf(result);
    expect(text).toMatch(/<output>\nFIRST LINE\n/);
    expect(text).toMatch(/LAST LINE\n<\/output>/);
    // Markers count what is not shown: where the sandbox dropped bytes, and where it was cut.
    const dropped = [...text.matchAll(/\[\.\.\. (\d+) bytes (?:of output )?dropped here/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    expect(dropped).toBeGreaterThan(100 * 1024 * 1024);
    expect(responseBytes(result)).toBeLessThanOrEqual(40 * 1024);
    // The large text is sent once: structuredContent holds short previews.
    expect(Buffer.byteLength(run.stdout) + Buffer.byteLength(run.stderr)).toBeLessThanOrEqual(2048);
    await expectServing(server);
  });

  test.each([
    ['its parent', 'os.getppid()'],
    ['pid 1', '1'],
    ['every process it can see (-1)', '-1'],
  ])('cannot take the server down by SIGKILLing %s', async (_name, target) => {
    const result = await server.run(
      `import os, signal\nos.kill(${target}, signal.SIGKILL)\n"survived"`,
    );
    // Whatever happened inside the sandbox, a result arrives (kill(-1) finds nothing it may
    // signal: ESRCH) ...
    const run = structured(result);
    expect(['completed', 'killed', 'raised']).toContain(run.status);
    if (run.status === 'raised')
      expect(run.error?.type).toMatch(/ProcessLookupError|PermissionError/);
    // ... and the server is alive and serving.
    expect(isAlive(server.pid)).toBe(true);
    await expectServing(server);
  });

  test('cannot see host processes', async () => {
    const result = await server.run(
      [
        'import os',
        'pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())',
        'cmdlines = []',
        'for p in pids:',
        '    try:',
        '        cmdlines.append(open(f"/proc/{p}/cmdline", "rb").read().replace(b"\\0", b" ").decode())',
        '    except OSError:',
        '        pass',
        '{"pids": pids, "cmdlines": cmdlines}',
      ].join('\n'),
    );
    const value = structured(result).return_value as { pids: number[]; cmdlines: string[] };
    expect(value.pids.length).toBeGreaterThan(0);
    expect(value.pids.length).toBeLessThanOrEqual(5);
    expect(value.pids).not.toContain(server.pid);
    for (const cmdline of value.cmdlines) {
      expect(cmdline).not.toMatch(/node|isolated-pymcp serve|vitest/);
    }
  });

  test('has no process in the sandbox outside the limits: no unlimited init to ptrace and run in', async () => {
    // bwrap's reaper used to be pid 1 in the sandbox, with the sandbox's uid and no limits:
    // code could attach to it (ptrace, /proc/1/mem) and run there unlimited.
    const result = await server.run(
      [
        'import os',
        'def limits(pid):',
        '    rows = {}',
        '    for line in open(f"/proc/{pid}/limits").read().splitlines()[1:]:',
        '        name, soft = line[:26].strip(), line[26:47].strip()',
        '        rows[name] = soft',
        '    return [rows["Max address space"], rows["Max processes"], rows["Max cpu time"]]',
        'pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())',
        '{"me": os.getpid(), "pids": pids, "limits": [limits(p) for p in pids]}',
      ].join('\n'),
    );
    const value = structured(result).return_value as {
      me: number;
      pids: number[];
      limits: string[][];
    };
    expect(value.me).toBe(1);
    expect(value.pids).toEqual([1]);
    for (const row of value.limits) expect(row).toEqual([String(1024 * 1024 * 1024), '64', '300']);
  });

  test('is what the OOM killer takes first, before the server', async () => {
    const result = await server.run('int(open("/proc/self/oom_score_adj").read())');
    expect(structured(result).return_value).toBe(1000);
    expect(readFileSync(`/proc/${server.pid}/oom_score_adj`, 'utf8').trim()).toBe('0');
  });

  test('runs as a non-root uid without capabilities', async () => {
    const result = await server.run(
      [
        'import os',
        'caps = [l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapEff", "CapPrm"))]',
        '{"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "caps": caps}',
      ].join('\n'),
    );
    const value = structured(result).return_value as {
      uid: number;
      euid: number;
      gid: number;
      caps: string[];
    };
    expect(value.uid).not.toBe(0);
    expect(value.euid).not.toBe(0);
    expect(value.gid).not.toBe(0);
    expect(value.caps).toEqual(['0000000000000000', '0000000000000000']);
  });

  test('blocks creating user namespaces', async () => {
    const result = await server.run(
      [
        'import ctypes, errno, subprocess, sys',
        'CLONE_NEWUSER = 0x10000000',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'in_process = libc.unshare(CLONE_NEWUSER)',
        // The worker has threads, and unshare(CLONE_NEWUSER) refuses multithreaded callers
        // anyway; a single-threaded child shows what the namespace policy itself says.
        'child = subprocess.run([sys.executable, "-c", "import ctypes; l = ctypes.CDLL(None, use_errno=True); print(l.unshare(0x10000000), ctypes.get_errno())"], capture_output=True, text=True)',
        'rc, err = child.stdout.split()',
        'tool = subprocess.run(["unshare", "-U", "true"], capture_output=True, text=True)',
        '{"in_process": in_process, "child": int(rc), "child_errno": errno.errorcode.get(int(err)), "tool_exit": tool.returncode}',
      ].join('\n'),
    );
    const value = structured(result).return_value as Record<string, unknown>;
    expect(value.in_process).toBe(-1);
    expect(value.child).toBe(-1);
    expect(['ENOSPC', 'EPERM']).toContain(value.child_errno);
    expect(value.tool_exit).not.toBe(0);
  });

  test("runs below the server's CPU priority and cannot raise its own, so busy code cannot starve the server", async () => {
    const result = await server.run(
      [
        'import os',
        'before = os.getpriority(os.PRIO_PROCESS, 0)',
        'try:',
        '    os.setpriority(os.PRIO_PROCESS, 0, 0)',
        '    raised = True',
        'except PermissionError:',
        '    raised = False',
        '[before, raised]',
      ].join('\n'),
    );
    expect(structured(result).return_value).toEqual([10, false]);
  });

  test('runs the sandbox processes as an unprivileged host uid, never root', async () => {
    const created = await server.call('create_session', {});
    const sessionId = (created.structuredContent as { session_id: string }).session_id;
    const running = server.run('import time\ntime.sleep(3)\n"slept"', { session_id: sessionId });
    const uids = new Map<number, string>();
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline) {
      for (const pid of server.descendants()) {
        try {
          const status = readFileSync(`/proc/${pid}/status`, 'utf8');
          const uidLine = /^Uid:\s+(.*)$/m.exec(status)?.[1];
          const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
          if (uidLine !== undefined) uids.set(pid, `${name} ${uidLine.trim()}`);
        } catch {
          // exited meanwhile
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(structured(await running).return_value).toBe('slept');
    await server.call('close_session', { session_id: sessionId });
    const seen = [...uids.values()];
    // bwrap and python, at least.
    expect(seen.some((line) => line.startsWith('python'))).toBe(true);
    for (const line of seen) {
      expect(line).toMatch(
        new RegExp(`^\\S+ ${SANDBOX_UID}\\s+${SANDBOX_UID}\\s+${SANDBOX_UID}\\s+${SANDBOX_UID}$`),
      );
    }
  });
});

describe('containment: every sandboxed process is under its limits, the language server too', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace', '--lsp', 'pyright', '--pool-size', '1']);
  }, 60_000);
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('no process in a sandbox pid namespace runs without a process limit (no unlimited bwrap init)', async () => {
    const hover = await server.call('lsp_hover', { code: 'x = 1\nx\n', line: 2, column: 1 });
    expect(hover.isError ?? false, textOf(hover)).toBe(false);
    // A session keeps its sandbox (and so its worker) alive between calls.
    const created = await server.call('create_session', {});
    const sessionId = (created.structuredContent as { session_id: string }).session_id;
    await server.run('1 + 1', { session_id: sessionId });
    const own = readlinkSync('/proc/self/ns/pid');
    const sandboxed: Array<{ name: string; nproc: string }> = [];
    for (const pid of server.descendants()) {
      try {
        if (readlinkSync(`/proc/${pid}/ns/pid`) === own) continue;
        const name = /^Name:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        const nproc = /^Max processes\s+(\S+)/m.exec(
          readFileSync(`/proc/${pid}/limits`, 'utf8'),
        )?.[1];
        sandboxed.push({ name: name ?? '?', nproc: nproc ?? '?' });
      } catch {
        // exited meanwhile
      }
    }
    for (const p of sandboxed) {
      expect([p.name, p.nproc]).toEqual([p.name, expect.stringMatching(/^(64|256)$/)]);
    }
    // The session's worker (python) and the language server (node) at least.
    expect(sandboxed.map((p) => p.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^python/), 'node']),
    );
    await server.call('close_session', { session_id: sessionId });
  }, 60_000);
});

describe("containment: the first call's sandbox (started with the server)", () => {
  test('runs the code with every thread below the server, unable to raise any', async () => {
    // A fresh server: its first call takes the sandbox started early, with the server.
    const server = await startServer([]);
    try {
      const result = await server.run(
        [
          'import os, threading',
          'def nices():',
          '    out = []',
          '    for tid in os.listdir("/proc/self/task"):',
          '        stat = open(f"/proc/self/task/{tid}/stat").read()',
          '        out.append(int(stat.rsplit(")", 1)[1].split()[16]))',
          '    return out',
          'started = []',
          't = threading.Thread(target=lambda: started.append(os.getpriority(os.PRIO_PROCESS, 0)))',
          't.start(); t.join()',
          'try:',
          '    os.setpriority(os.PRIO_PROCESS, 0, 0)',
          '    raised = True',
          'except PermissionError:',
          '    raised = False',
          '{"threads": nices(), "new_thread": started[0], "raised": raised}',
        ].join('\n'),
      );
      const value = structured(result).return_value as {
        threads: number[];
        new_thread: number;
        raised: boolean;
      };
      // The worker's own threads (main, protocol reader, output readers) and a new one.
      expect(value.threads.length).toBeGreaterThanOrEqual(3);
      expect(new Set(value.threads)).toEqual(new Set([10]));
      expect(value.new_thread).toBe(10);
      expect(value.raised).toBe(false);
    } finally {
      expect(await server.close()).toEqual([]);
    }
  }, 60_000);
});

describe('containment: the scratch directory is size-capped', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--scratch-mb', '8', '--no-workspace', '--pool-size', '1']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('blocks filling the host disk through /tmp past --scratch-mb', async () => {
    const created = await server.call('create_session', {});
    const sessionId = (created.structuredContent as { session_id: string }).session_id;
    const fill = [
      ERRNO_OF,
      'written = 0',
      'try:',
      '    with open(path, "wb") as f:',
      '        for _ in range(32):',
      '            f.write(b"\\0" * (1024 * 1024))',
      '            f.flush()',
      '            written += 1',
      '    outcome = "wrote 32 MiB"',
      'except OSError as e:',
      '    outcome = errname(e)',
      '{"outcome": outcome, "written_mib": written}',
    ].join('\n');
    for (const file of ['/tmp/fill', '/dev/shm/fill']) {
      const result = await server.run(fill, {
        session_id: sessionId,
        global_variables: { path: file },
      });
      const value = structured(result).return_value as { outcome: string; written_mib: number };
      expect(value.outcome, file).toMatch(/^(ENOSPC|EFBIG)$/);
      expect(value.written_mib, file).toBeLessThanOrEqual(8);
    }
    // The same session still works, and can free the space again.
    const after = await server.run(
      'import os\nos.remove("/tmp/fill")\nopen("/tmp/small", "w").write("ok")',
      { session_id: sessionId },
    );
    expect(structured(after)).toMatchObject({ status: 'completed', return_value: 2 });
    await server.call('close_session', { session_id: sessionId });
    await expectServing(server);
  });
});

/** Bytes of the whole result as it travels (text content and structuredContent). */
function responseBytes(result: CallToolResult): number {
  return Buffer.byteLength(JSON.stringify(result), 'utf8');
}
