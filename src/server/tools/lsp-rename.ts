/** lsp_rename: a preview as a unified diff; writes only with --allow-write and apply: true. */
import { z } from 'zod';
import type { ToolRegistry } from './tool-registry.js';
import { PymcpError } from '../../shared/errors.js';
import { writeWorkspaceFileAtomic } from '../../shared/path-gate.js';
import {
  coverageNote,
  coverageSchema,
  positionShape,
  searchedAll,
  targetOf,
  text,
  withIntel,
  type CodeIntelSource,
} from './lsp-common.js';

const MAX_DIFF_CHARS = 200_000;

export function registerRenameTool(
  tools: ToolRegistry,
  source: CodeIntelSource,
  options: { maxFileBytes: number; allowWrite: boolean },
): void {
  const { maxFileBytes, allowWrite } = options;
  const canWrite = allowWrite;
  tools.register(
    'lsp_rename',
    {
      title: 'Rename a symbol',
      description: `Rename a symbol everywhere it is used, in every Python file of the workspace (also files outside the project's configured sources, such as tests), as the language server computes it. Returns the change as a unified diff and says what was searched. ${
        canWrite
          ? 'With apply: true the files are written (atomically).'
          : 'This server is read-only (started without --allow-write): the diff is a preview and apply is refused.'
      }`,
      inputSchema: {
        ...positionShape,
        new_name: z.string().min(1).max(256).describe('The new name (a Python identifier)'),
        apply: z
          .boolean()
          .default(false)
          .describe('Write the edit to the files (needs a server started with --allow-write)'),
      },
      outputSchema: {
        files: z.array(z.string()),
        diff: z.string(),
        applied: z.boolean(),
        searched: coverageSchema,
      },
      annotations: {
        readOnlyHint: !canWrite,
        destructiveHint: canWrite,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    (args, extra) =>
      withIntel(source, async (intel, handle) => {
        if (args.apply && !canWrite) {
          throw new PymcpError(
            'path_denied',
            'this server may not write files; restart it with --allow-write to apply renames',
          );
        }
        const { changes, coverage } = await intel.rename(
          targetOf(args),
          args.new_name,
          extra.signal,
        );
        const changed = changes.filter((c) => c.before !== c.after);
        // A rename that may have missed uses would break them when written.
        if (args.apply && !searchedAll(coverage)) {
          throw new PymcpError(
            'input_invalid',
            `not applying the rename: not every file that names the symbol could be searched. ${coverageNote(coverage)}`,
          );
        }
        // Loaded on first use: most sessions never rename, and start-up time matters.
        const { createTwoFilesPatch } = await import('diff');
        const diff = changed
          .map((c) =>
            createTwoFilesPatch(`a/${c.file}`, `b/${c.file}`, c.before, c.after, '', '', {
              context: 2,
            }),
          )
          .join('')
          .slice(0, MAX_DIFF_CHARS);
        if (args.apply && handle.workspace !== null) {
          for (const change of changed) {
            if (change.relative === null)
              throw new PymcpError('path_denied', `refusing to write ${change.file}`);
            await writeWorkspaceFileAtomic(handle.workspace, change.relative, change.after, {
              maxBytes: maxFileBytes,
            });
          }
        }
        const files = changed.map((c) => c.file);
        const head =
          changed.length === 0
            ? 'The rename changes nothing.'
            : `${args.apply ? 'Renamed in' : 'Would change'} ${files.length} file${files.length === 1 ? '' : 's'}: ${files.join(', ')}`;
        const note = coverageNote(coverage);
        return text(`${head}${note === '' ? '' : `\n${note}`}\n\n${diff}`, {
          files,
          diff,
          applied: args.apply && changed.length > 0,
          searched: coverage,
        });
      }),
  );
}
