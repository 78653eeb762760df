/**
 * list_packages: what the sandboxed code can import, with versions. Read on the host from the
 * environment's sys.path (bounded, only what a sandbox can see; see installed-packages.ts)
 * rather than by running Python in a sandbox: no run slot is taken from the queue and nothing
 * from the environment is executed to answer.
 */
import { z } from 'zod';
import type { ToolRegistry } from './tool-registry.js';
import { PackageListing, normalizeName } from '../../shared/installed-packages.js';
import {
  describeEnvironment,
  VENV_SOURCES,
  type PythonEnvironment,
} from '../../shared/python-environment.js';
import { READ_ONLY, page, pageNote, pageSchema, pagingShape, text } from './lsp-common.js';

const packageSchema = z.object({ name: z.string(), version: z.string(), location: z.string() });

export const environmentSchema = z.object({
  python_version: z.string(),
  interpreter: z.string(),
  venv: z.string().nullable(),
  venv_source: z.enum(VENV_SOURCES).nullable(),
  include_system_site_packages: z.boolean(),
});

/** The environment as tools report it in structuredContent. */
export function environmentInfo(environment: PythonEnvironment): z.infer<typeof environmentSchema> {
  const { venv } = environment;
  return {
    python_version: environment.version,
    interpreter: environment.interpreter,
    venv: venv?.root ?? null,
    venv_source: venv?.source ?? null,
    include_system_site_packages: venv === null || venv.includeSystemSitePackages,
  };
}

export function registerListPackages(tools: ToolRegistry, environment: PythonEnvironment): void {
  const listing = new PackageListing(environment);
  tools.register(
    'list_packages',
    {
      title: 'List importable packages',
      description:
        'The Python packages run_python_code can import (installed distributions, with versions), and which environment they come from (a virtual environment or the system). Nothing can be installed; check here before importing a third-party package. Paged.',
      inputSchema: {
        name: z
          .string()
          .min(1)
          .max(128)
          .optional()
          .describe('Only packages whose name contains this text (case-insensitive; - _ . alike)'),
        ...pagingShape,
      },
      outputSchema: {
        environment: environmentSchema,
        stopped: z
          .string()
          .nullable()
          .describe('Why the scan of sys.path ended early (a bound on its size), or null'),
        ...pageSchema(packageSchema),
      },
      annotations: READ_ONLY,
    },
    async (args) => {
      const { packages: all, stopped } = await listing.scan();
      const wanted = args.name === undefined ? null : normalizeName(args.name);
      const matching =
        wanted === null ? all : all.filter((p) => normalizeName(p.name).includes(wanted));
      const result = page(matching, args.limit, args.offset);
      const heading =
        `${describeEnvironment(environment)}: ${all.length} package${all.length === 1 ? '' : 's'}` +
        (stopped === null ? '' : ` (the environment is larger than one scan covers: ${stopped})`);
      const body =
        matching.length === 0
          ? `${heading}; none matches "${args.name ?? ''}".`
          : `${heading}${wanted === null ? '' : `, ${matching.length} matching "${args.name ?? ''}"`}\n` +
            result.items.map((p) => `${p.name} ${p.version}  (${p.location})`).join('\n') +
            pageNote(result.total, result.offset, result.returned);
      return text(body, { environment: environmentInfo(environment), stopped, ...result });
    },
  );
}
