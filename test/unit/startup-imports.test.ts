/**
 * What `serve` loads before it answers `initialize`: the modules statically reachable from the
 * CLI entry and from the stdio server. The language-server client, the analysis workflow and the
 * HTTP transport load at first use (dynamic import()), so start-up never pays for them; a static
 * import that pulls one in again fails here, with the chain that does it.
 */
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, test } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Every module esbuild bundles from `entry` (dynamic imports included), with its imports. */
async function bundleInputs(entry: string): Promise<Metafile['inputs']> {
  const result = await build({
    entryPoints: [path.join(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    outdir: 'unused',
    logLevel: 'silent',
    external: ['pyright', 'basedpyright'],
  });
  return result.metafile.inputs;
}

/** Module -> the module that first imports it statically, for everything reachable from `entry`. */
async function staticGraph(entry: string): Promise<Map<string, string | null>> {
  const inputs = await bundleInputs(entry);
  const reached = new Map<string, string | null>([[entry, null]]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const next of inputs[file]?.imports ?? []) {
      if (next.kind === 'dynamic-import' || next.external === true || reached.has(next.path))
        continue;
      reached.set(next.path, file);
      queue.push(next.path);
    }
  }
  return reached;
}

/**
 * Loaded at first use only. Small modules of constants and schemas are allowed (the answer
 * limits, the report's schema, the formats; http-auth's host names and token variable, for help).
 */
const LATER = [
  /^src\/lsp\/(?!answer-limits\.ts$)/,
  /^src\/analyze\/(?!formats\.ts$|report\.ts$)/,
  /^src\/server\/http(?!-auth\.ts$)/,
  /node_modules\/@modelcontextprotocol\/sdk\/dist\/esm\/server\/(streamableHttp|sse)\.js$/,
  /node_modules\/(vscode-jsonrpc|vscode-languageserver-protocol|vscode-languageserver-types|diff|pyright)\//,
];

function chain(graph: Map<string, string | null>, file: string): string {
  const steps = [file];
  for (let parent = graph.get(file); parent != null; parent = graph.get(parent)) {
    steps.push(parent);
  }
  return steps.reverse().join(' -> ');
}

describe('modules loaded before the first answer', () => {
  test.each(['src/cli/main.ts', 'src/cli/serve.ts', 'src/server/stdio.ts'])(
    '%s reaches no language-server, analysis or HTTP module statically',
    async (entry) => {
      const graph = await staticGraph(entry);
      // The graph is real: it reaches the MCP SDK and our own modules.
      expect(graph.size).toBeGreaterThan(5);
      const early = [...graph.keys()].filter((file) => LATER.some((rule) => rule.test(file)));
      expect(early.map((file) => chain(graph, file))).toEqual([]);
    },
  );

  test('the stdio server does reach them, through import() (the check sees what it checks)', async () => {
    const all = Object.keys(await bundleInputs('src/server/stdio.ts'));
    expect(all).toContain('src/lsp/lsp-factory.ts');
    expect(all).toContain('src/analyze/analyze.ts');
  });
});
