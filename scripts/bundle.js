// Bundle the compiled CLI (dist/src) into dist/bundle with esbuild:
//
//   main.cjs   the whole CLI in one CommonJS file. Commands and capabilities imported lazily
//              (import()) stay lazy: esbuild wraps them in initialisers run at first use. One
//              file, because Node 20 keeps V8's code cache only for scripts (vm.Script
//              cachedData), not for ES modules: launch.js runs it with that cache.
//   launch.js  what bin/isolated-pymcp imports: reads the code cache, compiles and runs
//              main.cjs (src/cli/launch.ts, src/cli/code-cache.ts).
//
//   node scripts/bundle.js                  (npm run build: with source maps, for development)
//   node scripts/bundle.js --no-sourcemap   (prepack: the package ships no maps)
import { readFile, rm, writeFile } from 'node:fs/promises';
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
// Start empty: files of earlier builds (the chunks of the old split build) would be packed.
await rm(OUT, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: !process.argv.includes('--no-sourcemap'),
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['dist/src/cli/main.js'],
  outfile: `${OUT}/main.cjs`,
  format: 'cjs',
  // package-root.ts finds the package from its own module's URL.
  define: { 'import.meta.url': '__pymcpModuleUrl' },
  banner: { js: "const __pymcpModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // The language servers run as their own processes from node_modules; never bundled.
  external: ['pyright', 'basedpyright'],
  // jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow; its ES
  // module build is the same code.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  plugins: [englishOnly],
});

// esbuild escapes every non-ASCII character in code (charset: ascii) but keeps a few comments
// verbatim. Escape theirs too: an all-ASCII file is decoded by launch.js as latin1, several
// times faster than UTF-8 (a comment's text is all that changes).
const main = `${OUT}/main.cjs`;
const text = await readFile(main, 'utf8');
const ascii = text.replace(
  /[^\t\n\r\x20-\x7e]/g,
  (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
);
if (ascii !== text) await writeFile(main, ascii);

await build({
  ...common,
  entryPoints: ['dist/src/cli/launch.js'],
  outfile: `${OUT}/launch.js`,
  format: 'esm',
});
