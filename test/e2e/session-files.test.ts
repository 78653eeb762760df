/**
 * Files in and out of a session (upload_file, download_file, list_files, resources), through the
 * built CLI and the SDK Client, with real sandboxes; and the attacks on them: hostile names,
 * links planted by the session's own code (with a canary file on the host), FIFOs.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, structured, textOf, type ServerUnderTest } from '../helpers/mcp-client.js';
import { connect, createSession as createHttpSession, startHttp } from '../helpers/http.js';
import { descendants, waitGone } from '../helpers/processes.js';

interface Download {
  size: number;
  offset: number;
  bytes: number;
  next_offset: number | null;
  encoding: 'text' | 'base64';
  uri: string;
}

type Call = (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;

/** The whole file, page by page, as bytes (and the pages' encodings). */
async function downloadAll(
  call: Call,
  sessionId: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<{ data: Buffer; pages: Download[] }> {
  const parts: Buffer[] = [];
  const pages: Download[] = [];
  let offset: number | null = 0;
  while (offset !== null) {
    const result = await call('download_file', {
      session_id: sessionId,
      path: name,
      offset,
      ...extra,
    });
    expect(result.isError, textOf(result)).not.toBe(true);
    const page = result.structuredContent as unknown as Download;
    const body = result.content[1];
    const text = body?.type === 'text' ? body.text : '';
    parts.push(page.encoding === 'text' ? Buffer.from(text, 'utf8') : Buffer.from(text, 'base64'));
    pages.push(page);
    expect(pages.length).toBeLessThan(200);
    offset = page.next_offset;
  }
  return { data: Buffer.concat(parts), pages };
}

describe('session files over stdio', () => {
  let server: ServerUnderTest;
  let session: string;
  let hostDir: string;
  let canary: string;
  const SECRET = `canary-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    // A host file the sandbox's uid could read if it were ever reached: the attacks aim at it.
    hostDir = mkdtempSync(path.join(tmpdir(), 'pymcp-canary-'));
    chmodSync(hostDir, 0o755);
    canary = path.join(hostDir, 'secret.txt');
    writeFileSync(canary, SECRET, { mode: 0o644 });
    server = await startServer(['--no-workspace']);
    const created = await server.call('create_session', {});
    session = (created.structuredContent as { session_id: string }).session_id;
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
    rmSync(hostDir, { recursive: true, force: true });
  });

  const call: Call = (name, args) => server.call(name, args);
  /** A new Python session's id (through `call`, which notes the server's processes). */
  const newSession = async (): Promise<string> =>
    ((await call('create_session', {})).structuredContent as { session_id: string }).session_id;

  test('upload a CSV, compute on it, download the result byte for byte, linked as a resource', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${i},${i * 3}`);
    const csv = `a,b\n${rows.join('\n')}\n`;
    const uploaded = await call('upload_file', {
      session_id: session,
      path: 'data.csv',
      content: csv,
    });
    expect(uploaded.isError, textOf(uploaded)).not.toBe(true);
    expect(uploaded.structuredContent).toMatchObject({ path: 'data.csv', size: csv.length });

    const run = await server.run(
      [
        'import pandas as pd',
        'df = pd.read_csv("/tmp/data.csv")',
        'df["total"] = df.a + df.b',
        'df.to_csv("/tmp/outputs/result.csv", index=False)',
        'len(df)',
      ].join('\n'),
      { session_id: session },
    );
    expect(structured(run)).toMatchObject({ status: 'completed', return_value: 300 });
    const links = run.content.filter((item): item is ResourceLink => item.type === 'resource_link');
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({
      name: 'outputs/result.csv',
      mimeType: 'text/csv',
      uri: `pymcp://sessions/${session}/files/outputs/result.csv`,
    });
    expect(textOf(run)).toContain('<files>\noutputs/result.csv (');

    const expected = `a,b,total\n${Array.from({ length: 300 }, (_, i) => `${i},${i * 3},${i * 4}`).join('\n')}\n`;
    const result = await downloadAll(call, session, 'outputs/result.csv');
    expect(result.data.toString('utf8')).toBe(expected);
    expect(result.pages.every((page) => page.encoding === 'text')).toBe(true);
    const back = await downloadAll(call, session, 'data.csv');
    expect(back.data.toString('utf8')).toBe(csv);

    // The same file as an MCP resource.
    const read = await server.client.readResource({ uri: links[0]?.uri ?? '' });
    const content = read.contents[0];
    expect(content && 'text' in content ? content.text : null).toBe(expected);
    const listed = await server.client.listResources();
    expect(listed.resources.map((r) => r.uri)).toEqual(
      expect.arrayContaining([
        `pymcp://sessions/${session}/files/data.csv`,
        `pymcp://sessions/${session}/files/outputs/result.csv`,
      ]),
    );
    // A call that writes nothing new links nothing.
    const quiet = await server.run('1', { session_id: session });
    expect(quiet.content.filter((item) => item.type === 'resource_link')).toEqual([]);
  });

  test('a binary file goes in as base64 and comes back identical, paged within the budget', async () => {
    const binary = randomBytes(100 * 1024);
    const uploaded = await call('upload_file', {
      session_id: session,
      path: 'blobs/random.bin',
      content: binary.toString('base64'),
      encoding: 'base64',
    });
    expect(uploaded.structuredContent).toMatchObject({ size: binary.length });
    const check = await server.run(
      'import hashlib\nhashlib.sha256(open("/tmp/blobs/random.bin", "rb").read()).hexdigest()',
      { session_id: session },
    );
    const { createHash } = await import('node:crypto');
    expect(structured(check).return_value).toBe(createHash('sha256').update(binary).digest('hex'));
    const result = await downloadAll(call, session, 'blobs/random.bin');
    expect(result.data.equals(binary)).toBe(true);
    expect(result.pages.length).toBeGreaterThan(3);
    expect(result.pages.every((page) => page.encoding === 'base64')).toBe(true);
    // Appending builds a file larger than one call in pieces.
    await call('upload_file', {
      session_id: session,
      path: 'blobs/random.bin',
      content: 'tail',
      append: true,
    });
    const grown = await downloadAll(call, session, 'blobs/random.bin', { encoding: 'base64' });
    expect(grown.data.equals(Buffer.concat([binary, Buffer.from('tail')]))).toBe(true);
  });

  test('text pages never split a character', async () => {
    const text = 'é€😀'.repeat(5000);
    await call('upload_file', { session_id: session, path: 'utf8.txt', content: text });
    const result = await downloadAll(call, session, 'utf8.txt', { max_bytes: 1001 });
    expect(result.pages.length).toBeGreaterThan(10);
    expect(result.pages.every((page) => page.encoding === 'text')).toBe(true);
    expect(result.data.toString('utf8')).toBe(text);
  });

  test('list_files names the files with sizes, not hidden ones', async () => {
    const result = await call('list_files', { session_id: session });
    const files = (result.structuredContent as { files: Array<{ path: string; size: number }> })
      .files;
    const names = files.map((f) => f.path);
    expect(names).toEqual(expect.arrayContaining(['data.csv', 'outputs/result.csv', 'utf8.txt']));
    expect(names.some((name) => name.startsWith('.') || name.includes('/.'))).toBe(false);
    expect(textOf(result)).toMatch(/data\.csv {2}\d+ bytes/);
    // A page past the end says so, rather than naming a range backwards ("10001-10000 shown").
    const past = await call('list_files', { session_id: session, offset: 10_000 });
    expect(past.structuredContent).toMatchObject({ offset: 10_000, files: [] });
    expect(textOf(past)).toContain('(none from offset 10000: the last is at offset');
  });

  test('names session code wrote that no client can send (bytes not UTF-8, a newline) break neither list_files nor resources/list', async () => {
    const id = await newSession();
    const made = await server.run(
      [
        'open(b"/tmp/raw-\\xff\\xfe.txt", "wb").write(b"x")',
        'open("/tmp/two\\nlines.txt", "w").write("y")',
        'open("/tmp/plain.txt", "w").write("z")',
      ].join('\n'),
      { session_id: id },
    );
    expect(structured(made).status).toBe('completed');
    const listed = await call('list_files', { session_id: id });
    expect(listed.isError, textOf(listed)).not.toBe(true);
    expect(listed.structuredContent).toMatchObject({
      total: 1,
      unlisted: 2,
      files: [{ path: 'plain.txt' }],
    });
    // Every line of the text is a file or a note: no name spills onto a line of its own.
    expect(textOf(listed).split('\n')).toEqual([
      expect.stringContaining('1 file in /tmp'),
      expect.stringMatching(/^plain\.txt {2}1 bytes/),
      expect.stringContaining('2 files are not listed: their names'),
    ]);
    const resources = await server.client.listResources();
    expect(resources.resources.filter((r) => r.uri.includes(`/${id}/`)).map((r) => r.name)).toEqual(
      [`${id}/plain.txt`],
    );
    await call('close_session', { session_id: id });
  });

  test('an upload that fails (the scratch directory is full) leaves the file as it was, and no new one', async () => {
    const id = await newSession();
    const keep = await call('upload_file', {
      session_id: id,
      path: 'keep.txt',
      content: 'precious',
    });
    expect(keep.isError, textOf(keep)).not.toBe(true);
    const filled = await server.run(
      [
        'import os',
        'st = os.statvfs("/tmp")',
        'open("/tmp/.filler", "wb").write(b"\\0" * (st.f_bavail * st.f_frsize - 256 * 1024))',
      ].join('\n'),
      { session_id: id },
    );
    expect(structured(filled).status).toBe('completed');
    const big = 'x'.repeat(1024 * 1024);
    for (const [name, append] of [
      ['keep.txt', false],
      ['keep.txt', true],
      ['new.txt', false],
    ] as const) {
      const up = await call('upload_file', { session_id: id, path: name, content: big, append });
      expect(up.isError).toBe(true);
      expect(textOf(up)).toContain('No space left on device');
    }
    const back = await downloadAll(call, id, 'keep.txt');
    expect(back.data.toString('utf8')).toBe('precious');
    const listed = await call('list_files', { session_id: id });
    expect((listed.structuredContent as { files: Array<{ path: string }> }).files).toEqual([
      expect.objectContaining({ path: 'keep.txt', size: 8 }),
    ]);
    await call('close_session', { session_id: id });
  });

  test.each([
    ['../etc/passwd', "'..'"],
    ['a/../../etc/passwd', "'..'"],
    ['/etc/passwd', 'not absolute'],
    ['/tmp/data.csv', 'pass "data.csv"'],
    ['', 'at least 1 character'],
    ['./data.csv', "'.' or empty"],
    ['a//b', "'.' or empty"],
    ['outputs/', "'.' or empty"],
    ['a\u0000b', 'control characters'],
    ['..\\..\\x', 'backslash'],
  ])('the name %j is refused before reaching the sandbox', async (name, reason) => {
    for (const [tool, extra] of [
      ['download_file', {}],
      ['upload_file', { content: 'x' }],
    ] as const) {
      const result = await call(tool, { session_id: session, path: name, ...extra });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(reason);
    }
  });

  test('a symbolic link planted by session code is never followed, to the host canary or anywhere', async () => {
    const plant = await server.run(
      [
        'import os',
        `os.symlink(${JSON.stringify(canary)}, "/tmp/host-link.txt")`,
        `os.symlink(${JSON.stringify(hostDir)}, "/tmp/host-dir")`,
        'open("/tmp/inside.txt", "w").write("inside")',
        'os.symlink("/tmp/inside.txt", "/tmp/inside-link.txt")',
        'os.symlink("/tmp", "/tmp/loop")',
        'os.symlink("/etc", "/tmp/etc")',
        'os.mkfifo("/tmp/fifo")',
        'sorted(os.listdir("/tmp"))',
      ].join('\n'),
      { session_id: session },
    );
    expect(structured(plant).status).toBe('completed');
    const refusals: Array<[string, RegExp]> = [
      ['host-link.txt', /symbolic link/],
      ['host-dir/secret.txt', /symbolic link|not a directory/],
      ['inside-link.txt', /symbolic link/],
      ['loop/inside.txt', /symbolic link|not a directory/],
      ['etc/ld.so.cache', /symbolic link|not a directory/],
      ['fifo', /not a regular file/],
    ];
    for (const [name, reason] of refusals) {
      const download = await call('download_file', { session_id: session, path: name });
      expect(download.isError, name).toBe(true);
      expect(textOf(download)).toMatch(reason);
      expect(JSON.stringify(download)).not.toContain(SECRET);
      const upload = await call('upload_file', {
        session_id: session,
        path: name,
        content: 'overwritten',
      });
      expect(upload.isError, name).toBe(true);
      const resource = server.client.readResource({
        uri: `pymcp://sessions/${session}/files/${name}`,
      });
      await expect(resource).rejects.toThrow(reason);
    }
    // The canary on the host is untouched, and a regular file still works after all that.
    expect(readFileSync(canary, 'utf8')).toBe(SECRET);
    const inside = await downloadAll(call, session, 'inside.txt');
    expect(inside.data.toString()).toBe('inside');
    const listed = await call('list_files', { session_id: session });
    const names = (listed.structuredContent as { files: Array<{ path: string }> }).files.map(
      (f) => f.path,
    );
    expect(names).toContain('inside.txt');
    expect(names).not.toContain('host-link.txt');
    expect(names).not.toContain('fifo');
  });

  test("a worker tampered with by the session's code cannot slip past the server's checks", async () => {
    const id = await newSession();
    const tamper = await server.run(
      [
        'import base64, gc',
        'worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker")',
        'files = worker._module("session_files")',
        'rich = worker._module("rich_results")',
        // More bytes than asked for, and an "image" that is not the PNG it claims to be.
        'files.read = lambda root, m: {"size": 1, "offset": m["offset"], "data": base64.b64encode(b"x" * (m["length"] + 10)).decode()}',
        'class Fake:',
        '    images = [{"kind": "figure", "label": "fake", "width": 9, "height": 9, "scaled": False,',
        '               "data": base64.b64encode(b"GIF89a" + b"x" * 64).decode()}]',
        '    omitted = []',
        '    omitted_count = 0',
        'rich.collect_images = lambda value, caps: Fake()',
        'import matplotlib.pyplot',
        '"tampered"',
      ].join('\n'),
      { session_id: id },
    );
    expect(structured(tamper).return_value).toBe('tampered');
    const download = await call('download_file', { session_id: id, path: 'anything.txt' });
    expect(download.isError).toBe(true);
    expect(textOf(download)).toContain('malformed file answer');
    const plotted = await server.run('1', { session_id: id });
    expect(plotted.content.filter((item) => item.type === 'image')).toEqual([]);
    expect(textOf(plotted)).toContain('fake (not a valid PNG)');
    await call('close_session', { session_id: id });
  });

  test('links to many output files with long names stay within the response budget; the output still shows', async () => {
    const run = await server.run(
      [
        'import os',
        'os.makedirs("/tmp/outputs/many", exist_ok=True)',
        'for i in range(60):',
        '    open(f"/tmp/outputs/many/experiment_results_for_configuration_number_{i:03d}_with_a_rather_descriptive_name.csv", "w").write("x")',
        'print("the important output")',
      ].join('\n'),
      { session_id: session },
    );
    expect(structured(run).status).toBe('completed');
    expect(Buffer.byteLength(JSON.stringify(run), 'utf8')).toBeLessThanOrEqual(40 * 1024);
    expect(textOf(run)).toContain('the important output');
    const links = run.content.filter((item) => item.type === 'resource_link');
    expect(links.length).toBeGreaterThan(0);
    expect(textOf(run)).toContain(`... and ${60 - links.length} more (list_files)`);
  });

  test('list_files names every file of a tree with more directories than the sandbox has open files', async () => {
    // 300 directories: more than the sandbox's 256 open files (--open-files) could hold at once.
    const made = await server.run(
      [
        'import os',
        'for i in range(300):',
        '    os.makedirs(f"/tmp/wide/{i:03d}", exist_ok=True)',
        '    open(f"/tmp/wide/{i:03d}/f.txt", "w").write("x")',
      ].join('\n'),
      { session_id: session },
    );
    expect(structured(made).status).toBe('completed');
    const names: string[] = [];
    for (let offset = 0, total = 1; offset < total;) {
      const listed = await call('list_files', { session_id: session, limit: 1000, offset });
      expect(listed.isError, textOf(listed)).not.toBe(true);
      const page = listed.structuredContent as {
        total: number;
        truncated: boolean;
        files: Array<{ path: string }>;
      };
      expect(page.truncated).toBe(false);
      expect(page.files.length).toBeGreaterThan(0);
      names.push(...page.files.map((f) => f.path));
      total = page.total;
      offset += page.files.length;
    }
    expect(names.filter((name) => name.startsWith('wide/')).length).toBe(300);
  });

  test('a page of list_files stays within the response budget, however long the names', async () => {
    const made = await server.run(
      [
        'import os',
        'os.makedirs("/tmp/long-names", exist_ok=True)',
        'for i in range(80):',
        '    open(f"/tmp/long-names/{i:02d}" + "数据" * 40 + ".csv", "w").write("x")',
      ].join('\n'),
      { session_id: session },
    );
    expect(structured(made).status).toBe('completed');
    const names = new Set<string>();
    let pages = 0;
    for (let offset = 0, total = 1; offset < total; pages += 1) {
      const listed = await call('list_files', { session_id: session, offset });
      expect(listed.isError, textOf(listed)).not.toBe(true);
      expect(Buffer.byteLength(JSON.stringify(listed), 'utf8')).toBeLessThanOrEqual(40 * 1024);
      const page = listed.structuredContent as { total: number; files: Array<{ path: string }> };
      expect(page.files.length).toBeGreaterThan(0);
      for (const file of page.files) names.add(file.path);
      if (offset + page.files.length < page.total)
        expect(textOf(listed)).toContain(`call again with offset ${offset + page.files.length}`);
      total = page.total;
      offset += page.files.length;
    }
    expect(pages).toBeGreaterThan(1);
    expect([...names].filter((name) => name.startsWith('long-names/')).length).toBe(80);
  });

  test('a download page stays within the response budget when the name is long', async () => {
    // Four directories of 80 three-byte characters: about 1 KiB of name, 3 KiB as a URI.
    const name = Array.from({ length: 4 }, (_, i) => `${i}${'数'.repeat(80)}`).join('/');
    const up = await call('upload_file', {
      session_id: session,
      path: name,
      content: 'a'.repeat(200_000),
    });
    expect(up.isError, textOf(up)).not.toBe(true);
    const page = await call('download_file', { session_id: session, path: name });
    expect(page.isError, textOf(page)).not.toBe(true);
    expect(Buffer.byteLength(JSON.stringify(page), 'utf8')).toBeLessThanOrEqual(40 * 1024);
    expect(await downloadAll(call, session, name).then((r) => r.data.length)).toBe(200_000);
  });

  test('a call in a session waits for a file operation in it (resources/list from the client) instead of failing busy', async () => {
    const id = await newSession();
    // A listing that takes a while (as a large tree does), so that the call below meets it.
    const slow = await server.run(
      [
        'import gc, time',
        'worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker")',
        'files = worker._module("session_files")',
        'listing = files.listing',
        'files.listing = lambda root, limit: (time.sleep(3), listing(root, limit))[1]',
      ].join('\n'),
      { session_id: id },
    );
    expect(structured(slow).status).toBe('completed');
    const resources = server.client.listResources();
    const holding = async (): Promise<boolean> => {
      const listed = await call('list_sessions', {});
      const sessions = (
        listed.structuredContent as { sessions: Array<{ session_id: string; running: boolean }> }
      ).sessions;
      return sessions.some((s) => s.session_id === id && s.running);
    };
    for (let i = 0; i < 500 && !(await holding()); i += 1);
    expect(await holding()).toBe(true);
    const run = await server.run('6 * 7', { session_id: id });
    expect(textOf(run)).not.toContain('already has a call running');
    expect(structured(run).return_value).toBe(42);
    await resources;
    await call('close_session', { session_id: id });
  });

  test('files need a session of this connection; bad input gets a clear error and the server keeps serving', async () => {
    const missing = await call('download_file', { session_id: 's-nope', path: 'data.csv' });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain('no session "s-nope"');
    const absent = await call('download_file', { session_id: session, path: 'no-such.txt' });
    expect(textOf(absent)).toContain("'no-such.txt' does not exist");
    const badBase64 = await call('upload_file', {
      session_id: session,
      path: 'x.bin',
      content: 'not base64!',
      encoding: 'base64',
    });
    expect(textOf(badBase64)).toContain('not valid base64');
    const notText = await call('download_file', {
      session_id: session,
      path: 'blobs/random.bin',
      encoding: 'text',
    });
    expect(textOf(notText)).toContain('not UTF-8 text');
    await expect(
      server.client.readResource({ uri: 'pymcp://sessions/s-nope/files/data.csv' }),
    ).rejects.toThrow(/no session/);
    await expect(server.client.readResource({ uri: 'file:///etc/passwd' })).rejects.toThrow(
      /no such resource/,
    );
    expect(structured(await server.run('6 * 7', { session_id: session })).return_value).toBe(42);
  });
});

describe('session files over HTTP', () => {
  test('each MCP session has its own files, gone when its session closes', async () => {
    const http = await startHttp(['--no-workspace', '--lsp', 'off', '--log-level', 'warn']);
    const clients: Client[] = [];
    try {
      const a = await connect(http.url);
      const b = await connect(http.url);
      clients.push(a, b);
      const id = await createHttpSession(a);
      const call =
        (client: Client): Call =>
        async (name, args) =>
          (await client.callTool({ name, arguments: args })) as CallToolResult;
      const up = await call(a)('upload_file', { session_id: id, path: 'note.txt', content: 'hi' });
      expect(up.isError, textOf(up)).not.toBe(true);
      expect((await downloadAll(call(a), id, 'note.txt')).data.toString()).toBe('hi');
      // Another MCP session cannot see it, by tool or by resource.
      const other = await call(b)('download_file', { session_id: id, path: 'note.txt' });
      expect(other.isError).toBe(true);
      expect((await b.listResources()).resources).toEqual([]);
      expect((await a.listResources()).resources.map((r) => r.name)).toEqual([`${id}/note.txt`]);
      // Closing the MCP session closes its Python sessions, and their files go with them.
      await a.close();
      clients.shift();
      const c = await connect(http.url);
      clients.push(c);
      const gone = await call(c)('download_file', { session_id: id, path: 'note.txt' });
      expect(gone.isError).toBe(true);
    } finally {
      for (const client of clients) await client.close();
      const pids = [http.pid, ...descendants(http.pid)];
      expect(await http.stop()).toBe(0);
      expect(await waitGone(pids)).toEqual([]);
    }
  });
});
