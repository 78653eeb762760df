/**
 * Runs the CommonJS bundle of the CLI (`dist/bundle/main.cjs`) with V8's code cache: the
 * launcher `bin/isolated-pymcp` calls this when the bundle is there. Built on its own into
 * `dist/bundle/launch.js`, so that it loads in a millisecond before the bundle does.
 *
 * The cache is read before compiling; it is written once per process when there was none or V8
 * rejected it: at exit, or 3 s after start for a long-running command (a `serve` may end by
 * SIGKILL), whichever comes first, so that it holds the functions the first requests compiled.
 */
import { readFileSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { openCodeCache, saveCodeCache } from './code-cache.js';

const WRITE_AFTER_MS = 3000;

type VmConstants = Partial<typeof vm.constants>;
/** Missing in Node 20.0-20.11, whatever the types say. */
const vmConstants: VmConstants | undefined = vm.constants;

/**
 * Run `bundle` for the command line `argv`. It is loaded by `require`, uncached, where a script
 * would not do: on Node 20.0-20.11, which have no `vm.constants` (`constants`, a parameter for
 * the tests), so no way to give a script the usual `import()` (a loader function needs
 * --experimental-vm-modules); and under --enable-source-maps, which node applies to what its
 * loaders load but not to a vm.Script (a stack trace would name main.cjs, not the sources).
 */
export function runBundle(
  bundle: string,
  argv: readonly string[],
  constants: VmConstants = vmConstants ?? {},
): void {
  const mainContextLoader = constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (mainContextLoader === undefined || process.sourceMapsEnabled) {
    createRequire(bundle)(bundle);
    return;
  }
  const bytes = readFileSync(bundle);
  // An ASCII file (esbuild escapes non-ASCII in code) decodes as latin1 in a copy, ~4x faster.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const cache = openCodeCache(bytes, argv);
  const script = new vm.Script(Module.wrap(source), {
    filename: bundle,
    cachedData: cache?.data,
    // The SDK keeps one `import('node:crypto')` (OAuth only); give it the usual loader.
    importModuleDynamically: mainContextLoader,
  });
  if (cache !== null && (cache.data === undefined || script.cachedDataRejected === true)) {
    saveLater(() => {
      saveCodeCache(cache, script.createCachedData());
    });
  }
  const wrapper = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: object },
    filename: string,
    dirname: string,
  ) => void;
  const module = { exports: {} };
  wrapper.call(
    module.exports,
    module.exports,
    createRequire(bundle),
    module,
    bundle,
    path.dirname(bundle),
  );
}

function saveLater(save: () => void): void {
  let saved = false;
  const once = (): void => {
    if (saved) return;
    saved = true;
    clearTimeout(timer);
    process.off('exit', once);
    try {
      save();
    } catch {
      // No cache: the next start compiles, nothing else.
    }
  };
  const timer = setTimeout(once, WRITE_AFTER_MS);
  timer.unref();
  process.on('exit', once);
}
