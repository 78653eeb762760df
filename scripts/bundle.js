// Bundle the compiled CLI (dist/src) into dist/bundle with esbuild, one chunk per lazily
// imported command or capability. Loading a few large files instead of several hundred small
// ones cuts the server's start-up (spawn -> first result) by about 150 ms.
//
//   node scripts/bundle.js                  (npm run build: with source maps, for development)
//   node scripts/bundle.js --no-sourcemap   (prepack: the package ships no maps)
import { rm } from 'node:fs/promises';
import process from 'node:process';
import { build } from 'esbuild';

const OUT = 'dist/bundle';

/**
 * zod re-exports every locale it has (`z.locales`, ~370 kB, half of zod's source), and V8 parses
 * all of it at start-up (compiling zod was ~70% of its load time). Nothing here or in the SDK
 * uses a locale but the default English one (zod's schemas import that one directly), so the
 * namespace keeps `en` only.
 */
const englishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: 'zod-locales', namespace: 'zod-english-only' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};
// Chunk names carry a content hash: start empty, or chunks of earlier builds pile up (and would
// be packed).
await rm(OUT, { recursive: true, force: true });

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: !process.argv.includes('--no-sourcemap'),
  logLevel: 'warning',
  // CommonJS dependencies (commander, vscode-jsonrpc) call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __pymcpRequire } from 'node:module'; const require = __pymcpRequire(import.meta.url);",
  },
  // The language servers run as their own processes from node_modules; never bundled.
  external: ['pyright', 'basedpyright'],
  // jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow; its ES
  // module build is the same code.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  plugins: [englishOnly],
});
