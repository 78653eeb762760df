/**
 * analyze_algorithm (a tool returning the JSON report, with progress notifications while it
 * measures) and the analyze_algorithm prompt (which walks an assistant through the same
 * analysis with the other tools). The tool is a client of this same server, over an in-memory
 * MCP connection, so it takes exactly the path an assistant would.
 */
import { z } from 'zod';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolRegistry } from './tool-registry.js';
import { PymcpError } from '../../shared/errors.js';
import { resolveWorkspaceFile } from '../../shared/path-gate.js';
import { ReportSchema } from '../../analyze/report.js';

export interface AnalyzeToolDeps {
  workspace: string | null;
  /** A client connected to a fresh connection of this server; close it when done. */
  connectInternal(): Promise<{ client: Client; close(): Promise<void> }>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function registerAnalyzeAlgorithm(
  server: McpServer,
  tools: ToolRegistry,
  deps: AnalyzeToolDeps,
): void {
  tools.register(
    'analyze_algorithm',
    {
      title: 'Analyse an algorithm',
      description:
        'Explore a Python module of algorithm implementations: signatures and diagnostics from the language server, doctests, a cross-check of every implementation against the reference, and timings on several seeded inputs per size fitted to a growth class (O(1) ... O(2^n)) with a bootstrap confidence and a power-law exponent, and peak memory per size. Takes tens of seconds; sends progress notifications. The module declares ANALYSIS = {"implementations": [...], "input": make_input, "sizes": [...]} (see algorithms/README.md), or pass implementations (and input, else guessed from the first one’s signature) for any file. isError is set when the module did not load, the declaration is wrong, a doctest failed, an implementation disagreed with the reference, or one could not be measured at all (it raised at the first size).',
      inputSchema: {
        algorithm: z
          .string()
          .min(1)
          .max(4096)
          .describe('A name under algorithms/ (e.g. "fibonacci") or a workspace-relative .py path'),
        budget_seconds: z
          .number()
          .min(0.5)
          .max(30)
          .default(2)
          .describe('Measuring time per implementation (default 2)'),
        implementations: z
          .array(z.string().min(1).max(200))
          .max(20)
          .optional()
          .describe(
            "Function names to analyse in a file without ANALYSIS (or instead of its list); the file's doctests run either way",
          ),
        input: z
          .string()
          .max(2000)
          .optional()
          .describe(
            'Arguments for size n: a preset (int, random_ints, sorted_ints, distinct_ints, random_string, random_floats) or a Python expression of n and rng (a random.Random); a tuple is the argument list, any other value the single argument',
          ),
        sizes: z
          .array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER))
          .min(1)
          .max(200)
          .optional()
          .describe(
            'Sizes n to measure, ascending (default: ANALYSIS["sizes"], else a ladder from 4)',
          ),
        reference: z
          .string()
          .max(200)
          .optional()
          .describe('The implementation the others are checked against (default: the first)'),
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31)
          .default(0)
          .describe(
            'Seed of the inputs and of the bootstrap (the same seed gives the same inputs)',
          ),
      },
      outputSchema: ReportSchema.shape,
      annotations: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async (args, extra) => {
      if (deps.workspace === null) {
        throw new PymcpError(
          'path_denied',
          'the server has no workspace; start it with --workspace DIR',
        );
      }
      const input = NAME.test(args.algorithm) ? `algorithms/${args.algorithm}.py` : args.algorithm;
      const file = await resolveWorkspaceFile(deps.workspace, input, {
        maxBytes: 2 * 1024 * 1024,
      });
      if (!file.relative.endsWith('.py'))
        throw new PymcpError('input_invalid', `${file.relative} is not a .py file`);
      // The analysis modules load at first use: the server's start-up does not pay for them.
      const [{ analyze }, { renderMarkdown }, { workspaceTarget }] = await Promise.all([
        import('../../analyze/analyze.js'),
        import('../../analyze/render-text.js'),
        import('../../analyze/target.js'),
      ]);
      const target = await workspaceTarget(deps.workspace, file.relative);
      const token = extra._meta?.progressToken;
      let step = 0;
      const onProgress = (message: string): void => {
        step += 1;
        if (token === undefined) return;
        void extra
          .sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: step, message },
          })
          .catch(() => undefined);
      };
      const connection = await deps.connectInternal();
      try {
        const { report } = await analyze(connection.client, [target], {
          budgetSeconds: args.budget_seconds,
          seed: args.seed,
          ...(args.implementations ? { implementations: args.implementations } : {}),
          ...(args.input === undefined ? {} : { input: args.input }),
          ...(args.sizes === undefined ? {} : { sizes: args.sizes }),
          ...(args.reference === undefined ? {} : { reference: args.reference }),
          onProgress,
          signal: extra.signal,
        });
        // A module that did not load, a wrong declaration, a failed doctest or a disagreeing
        // implementation is an outcome the model must see: isError, with the whole report.
        return {
          content: [{ type: 'text', text: renderMarkdown(report) }],
          structuredContent: report,
          ...(report.verdict.status === 'failed' ? { isError: true } : {}),
        };
      } finally {
        await connection.close();
      }
    },
  );

  server.registerPrompt(
    'analyze_algorithm',
    {
      title: 'Analyse an algorithm with the tools',
      description:
        'Step-by-step: read the structure with the lsp_* tools, then run, test and time the implementations with run_python_code.',
      argsSchema: {
        algorithm: z.string().describe('A name under algorithms/ (e.g. "fibonacci") or a .py path'),
      },
    },
    (args) => {
      const file = NAME.test(args.algorithm) ? `algorithms/${args.algorithm}.py` : args.algorithm;
      const module = file.replace(/\.py$/, '').split('/').join('.');
      return {
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text: [
                `Analyse the algorithm implementations in ${file}. Work step by step with the tools and report what you find.`,
                '',
                `1. Structure: call lsp_document_symbols on ${file}; for each implementation, lsp_hover with its name as symbol to read the signature and docstring; call lsp_diagnostics on the file.`,
                '2. Create a session (create_session) and use its session_id for the following run_python_code calls.',
                `3. Load it: \`import sys; sys.path.append('.'); import ${module} as m; m.ANALYSIS\` shows the implementations, the input generator and the sizes.`,
                '4. Doctests: `import doctest; doctest.testmod(m)`.',
                "5. Correctness: for every size n you will time, build a few inputs `args = m.ANALYSIS['input'](n, random.Random(f'{n}:{i}'))` and check every implementation returns the same as the reference; report the smallest input where one disagrees (a failure can start anywhere, not only at small n).",
                '6. Growth: for each implementation, time several inputs per size with time.thread_time (repeat fast calls, keep the best repeat per input and the median over inputs, stop when a call takes over a second or a max_size is reached), then decide which class fits: O(1), O(log n), O(n), O(n log n), O(n^1.5), O(n^2), O(n^3) or O(2^n), and fit the exponent k of a·n^k + c. Use timeout_seconds to bound each call.',
                '7. Summarise: a table of implementations with their fitted class, the exponent, and how sure you are; say "uncertain" and name both classes when neighbours fit about as well. Then any disagreements, diagnostics and doctest failures.',
                '',
                'The analyze_algorithm tool does all of this in one call and returns a JSON report if you prefer.',
              ].join('\n'),
            },
          },
        ],
      };
    },
  );
}
