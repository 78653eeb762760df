/**
 * The analysis report: one stable JSON shape (schema "isolated-pymcp/analyze-report@1") that
 * every output format renders. Declared once with zod so the MCP tool can publish it as its
 * output schema.
 */
import { z } from 'zod';

export const REPORT_SCHEMA_ID = 'isolated-pymcp/analyze-report@1';

const DiagnosticSchema = z.object({
  line: z.number(),
  column: z.number(),
  severity: z.string(),
  message: z.string(),
  code: z.string().nullable(),
});

export const ReportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA_ID),
  target: z.object({
    name: z.string().describe('Algorithm name or file stem'),
    file: z.string().describe('Path relative to the workspace'),
    module: z.string().nullable().describe('Python module name when it lives in a package'),
  }),
  generated_at: z.string(),
  language_server: z.string().nullable(),
  structure: z.object({
    available: z.boolean(),
    error: z.string().nullable(),
    functions: z.array(
      z.object({
        name: z.string(),
        line: z.number().nullable(),
        signature: z.string().nullable().describe('From the language server (hover)'),
        doc: z.string(),
      }),
    ),
    symbols: z.array(z.object({ path: z.string(), kind: z.string(), line: z.number() })),
    diagnostics: z.object({ known: z.boolean(), items: z.array(DiagnosticSchema) }),
  }),
  load_error: z.string().nullable().describe('Why the module could not be imported in the sandbox'),
  doctests: z.object({ attempted: z.number(), failed: z.number(), report: z.string() }).nullable(),
  declared: z
    .boolean()
    .describe('Whether the file declares ANALYSIS (implementations, input, sizes)'),
  correctness: z
    .object({
      reference: z.string(),
      implementations: z.array(
        z.object({
          name: z.string(),
          agreed: z.number().describe('Inputs on which it matched the reference'),
          failure: z
            .object({ n: z.number(), input: z.string(), expected: z.string(), got: z.string() })
            .nullable()
            .describe('The smallest input on which it disagreed'),
        }),
      ),
    })
    .nullable(),
  complexity: z.array(
    z.object({
      name: z.string(),
      points: z.array(z.object({ n: z.number(), seconds: z.number() })),
      stopped: z
        .string()
        .nullable()
        .describe('Why measuring stopped before the last declared size'),
      fit: z
        .object({
          class: z.string(),
          rms_error: z.number(),
          runner_up: z.string().nullable(),
          runner_up_rms_error: z.number().nullable(),
          confidence: z.enum(['clear', 'weak']),
          base: z.number().nullable().describe('For O(2^n): the fitted c in c^n'),
        })
        .nullable(),
    }),
  ),
  notes: z.array(z.string()),
});

export type Report = z.infer<typeof ReportSchema>;
export type ComplexityEntry = Report['complexity'][number];
