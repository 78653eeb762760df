/** lsp_diagnostics (one file or snippet) and lsp_check_project (the whole workspace, paged). */
import { z } from 'zod';
import type { ToolRegistry } from './tool-registry.js';
import { PymcpError } from '../../shared/errors.js';
import type { CodeIntel, DiagnosticItem } from '../../lsp/code-intel.js';
import { MAX_PROJECT_FILES } from '../../lsp/answer-limits.js';
import type { ProjectCheck } from '../../lsp/project-check.js';
import {
  READ_ONLY,
  oneLine,
  shownPath,
  codeInput,
  fileInput,
  page,
  pageNote,
  pageSchema,
  pagingShape,
  text,
  withIntel,
  type CodeIntelSource,
} from './lsp-common.js';

const diagnosticSchema = z.object({
  file: z.string(),
  line: z.number(),
  column: z.number(),
  end_line: z.number(),
  end_column: z.number(),
  severity: z.enum(['error', 'warning', 'information', 'hint']),
  message: z.string(),
  code: z.string().nullable(),
  source: z.string().nullable(),
});

const render = (d: DiagnosticItem): string =>
  `${d.file}:${d.line}:${d.column} ${d.severity}: ${d.message.split('\n')[0] ?? ''}${d.code ? ` [${d.code}]` : ''}`;

/** Progress notifications at most this often during a project check. */
const PROGRESS_INTERVAL_MS = 500;

export function registerDiagnosticsTools(
  tools: ToolRegistry,
  source: CodeIntelSource,
  waitMs: number,
): void {
  // One check (and its last report, for later pages) per language server.
  const checks = new WeakMap<CodeIntel, ProjectCheck>();
  tools.register(
    'lsp_diagnostics',
    {
      title: 'Diagnostics for a file',
      description:
        'Type errors, undefined names and other problems the Python language server reports for a file (or a code snippet), for its current content. If the server has not finished, says the result is not yet known (never a false "no problems"). Paged.',
      inputSchema: { file: fileInput, code: codeInput, ...pagingShape },
      outputSchema: {
        known: z.boolean(),
        file: z.string(),
        server: z.string().describe('The language server that answered'),
        ...pageSchema(diagnosticSchema),
      },
      annotations: READ_ONLY,
    },
    (args, extra) =>
      withIntel(source, async (intel) => {
        const result = await intel.diagnostics(
          { file: args.file, code: args.code },
          { waitMs, signal: extra.signal },
        );
        const paged = page(result.items, args.limit, args.offset);
        const body = !result.known
          ? `Diagnostics for ${result.file} are not known yet: ${intel.serverKind} did not report within ${waitMs} ms. Try again shortly.`
          : result.items.length === 0
            ? `No problems reported in ${result.file}.`
            : `${result.items.length} problem${result.items.length === 1 ? '' : 's'} in ${result.file}:\n${paged.items.map(render).join('\n')}${pageNote(paged.total, paged.offset, paged.returned)}`;
        return {
          ...text(body, {
            known: result.known,
            file: result.file,
            server: intel.serverKind,
            ...paged,
          }),
          isError: !result.known,
        };
      }),
  );

  tools.register(
    'lsp_check_project',
    {
      title: 'Check the whole project',
      description: `Diagnostics for every Python file in the workspace (up to ${MAX_PROJECT_FILES} files; also files outside the project's configured sources), summarised by severity, errors first. Files that cannot be checked are listed with the reason. Later pages (offset > 0) come from the same check while no file changed. Sends progress notifications.`,
      inputSchema: {
        severity: z
          .enum(['error', 'warning', 'information', 'hint'])
          .default('warning')
          .describe('Lowest severity to list (counts always include all)'),
        ...pagingShape,
      },
      outputSchema: {
        files_checked: z.number(),
        files_found: z.number(),
        walk_stopped: z
          .string()
          .nullable()
          .describe('Why the walk of the workspace ended early (a bound on its size), or null'),
        files_unknown: z.array(z.string()),
        files_failed: z
          .array(z.object({ file: z.string(), reason: z.string() }))
          .describe('Files that could not be checked, and why'),
        reused: z.boolean().describe('Whether this page comes from the previous check'),
        counts: z.object({
          error: z.number(),
          warning: z.number(),
          information: z.number(),
          hint: z.number(),
        }),
        ...pageSchema(diagnosticSchema),
      },
      annotations: READ_ONLY,
    },
    (args, extra) =>
      withIntel(source, async (intel, handle) => {
        if (handle.workspace === null) {
          throw new PymcpError(
            'path_denied',
            'the server has no workspace to check; start it with --workspace DIR',
          );
        }
        let check = checks.get(intel);
        if (check === undefined) {
          // Loaded at first use, like the rest of the language-server code.
          const { ProjectCheck } = await import('../../lsp/project-check.js');
          check = new ProjectCheck(intel);
          checks.set(intel, check);
        }
        const token = extra._meta?.progressToken;
        let lastSent = 0;
        // Sent in order, and the last one before the result: a client drops progress for a
        // request it already has the answer to.
        let sending = Promise.resolve();
        const onProgress = (done: number, total: number, file: string): void => {
          const now = performance.now();
          if (token === undefined || (now - lastSent < PROGRESS_INTERVAL_MS && done < total))
            return;
          lastSent = now;
          const params = {
            progressToken: token,
            progress: done,
            total,
            message: `checked ${file}`,
          };
          sending = sending.then(() =>
            extra
              .sendNotification({ method: 'notifications/progress', params })
              .catch(() => undefined),
          );
        };
        const { report, reused } = await check.run({
          waitMs,
          signal: extra.signal,
          onProgress,
          reuse: args.offset > 0,
        });
        await sending;
        const order = ['error', 'warning', 'information', 'hint'];
        const listed = report.items.filter(
          (d) => order.indexOf(d.severity) <= order.indexOf(args.severity),
        );
        const paged = page(listed, args.limit, args.offset);
        const { counts } = report;
        const lines = [
          `Checked ${report.files_checked} of ${report.files_found} Python files: ${counts.error} errors, ${counts.warning} warnings, ${counts.information} information, ${counts.hint} hints.`,
        ];
        if (report.walk_stopped !== null) {
          lines.push(
            `The workspace is larger than one walk covers (${report.walk_stopped}): files past that point were not found or checked.`,
          );
        }
        if (args.offset > 0) {
          lines.push(
            reused
              ? 'This page comes from the previous check (no file changed since).'
              : 'Files changed since the previous page, so the project was checked again.',
          );
        }
        if (report.files_failed.length > 0) {
          lines.push(
            `Could not be checked: ${report.files_failed
              .slice(0, 20)
              .map((f) => `${shownPath(f.file)} (${oneLine(f.reason)})`)
              .join(
                ', ',
              )}${report.files_failed.length > 20 ? ` and ${report.files_failed.length - 20} more` : ''}.`,
          );
        }
        if (report.files_unknown.length > 0) {
          lines.push(
            `Not yet known (the server did not report in time): ${report.files_unknown.slice(0, 20).map(shownPath).join(', ')}`,
          );
        }
        if (paged.items.length > 0)
          lines.push(
            paged.items.map(render).join('\n') +
              pageNote(paged.total, paged.offset, paged.returned),
          );
        return text(lines.join('\n'), {
          files_checked: report.files_checked,
          files_found: report.files_found,
          walk_stopped: report.walk_stopped,
          files_unknown: report.files_unknown,
          files_failed: report.files_failed,
          reused,
          counts: report.counts,
          ...paged,
        });
      }),
  );
}
