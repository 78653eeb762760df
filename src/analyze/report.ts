/**
 * The analysis report: one stable JSON shape (schema "isolated-pymcp/analyze-report@1") that
 * every output format renders. Declared once with zod so the MCP tool can publish it as its
 * output schema.
 */
import { z } from 'zod';

export const REPORT_SCHEMA_ID = 'isolated-pymcp/analyze-report@2';

const DiagnosticSchema = z.object({
  line: z.number(),
  column: z.number(),
  severity: z.string(),
  message: z.string(),
  code: z.string().nullable(),
});

export const STOP_REASONS = [
  'max_size',
  'budget',
  'slow_call',
  'raised',
  'input_error',
  'not_measured',
  'measuring_failed',
] as const;

const StopSchema = z
  .object({
    reason: z
      .enum(STOP_REASONS)
      .describe(
        'max_size: the declared cap; budget: time budget spent; slow_call: one call took too long; raised: the implementation raised; input_error: the input generator failed; not_measured: skipped (it failed the cross-check by not finishing); measuring_failed: the measuring step itself failed',
      ),
    n: z.number().nullable().describe('The size at which it stopped'),
    detail: z.string().nullable().describe('In words; for raised, the exception line'),
  })
  .nullable();

const ClassRowSchema = z.object({
  class: z.string(),
  rms_error: z.number().describe('RMS relative error of this class fitted to the medians'),
  bic: z.number().describe('BIC on the relative residuals; the lowest is chosen'),
  share: z.number().describe('Share of bootstrap resamples that chose this class'),
  a: z.number().describe('y ≈ a·f(n) + b'),
  b: z.number(),
  base: z.number().nullable().describe('For O(2^n): the fitted c in c^n'),
});

const ExponentSchema = z
  .object({
    value: z.number().describe('k in y ≈ a·n^k + c'),
    low: z.number().describe('5th percentile over the bootstrap resamples'),
    high: z.number().describe('95th percentile'),
  })
  .nullable();

export const ReportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA_ID),
  verdict: z.object({
    status: z
      .enum(['ok', 'uncertain', 'failed'])
      .describe(
        'failed: the module did not load, a declaration was wrong, a doctest failed, an implementation disagreed, raised, did not finish or could not be measured at all; uncertain: some class was not certain, or an implementation had too few points for one',
      ),
    summary: z.string(),
    problems: z.array(z.string()),
  }),
  target: z.object({
    name: z.string().describe('Algorithm name or file stem'),
    file: z.string().describe('Path relative to the workspace'),
    module: z.string().nullable().describe('Python module name when it lives in a package'),
  }),
  targets: z
    .array(z.object({ name: z.string(), file: z.string(), module: z.string().nullable() }))
    .describe('Every file analysed (more than one when comparing files)'),
  generated_at: z.string(),
  environment: z.object({
    python: z.string().nullable(),
    node: z.string(),
    platform: z.string(),
    cpus: z.number(),
    load_average_start: z.array(z.number()),
    load_average_end: z.array(z.number()),
    seed: z.number(),
    budget_seconds: z.number(),
    inputs_per_size: z.number(),
    bootstrap_resamples: z.number(),
    confidence_threshold: z.number(),
  }),
  language_server: z.string().nullable(),
  structure: z.object({
    available: z.boolean(),
    error: z.string().nullable(),
    functions_from: z
      .enum(['language_server', 'module'])
      .nullable()
      .describe('Where `functions` came from: hovers, or the module loaded in the sandbox'),
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
    .describe('Whether implementations were declared (ANALYSIS or --impl) and accepted'),
  declaration: z
    .object({
      source: z.enum(['ANALYSIS', 'options']),
      input_guessed: z
        .boolean()
        .describe(
          'Whether the input was guessed from the signature (no --input, no ANALYSIS input)',
        ),
      implementations: z.array(z.string()),
      reference: z.string(),
      input: z.string().describe('The generator: a function name, a preset or an expression'),
      sizes: z.array(z.number()),
      max_size: z.record(z.string(), z.number()),
    })
    .nullable(),
  declaration_errors: z.array(z.string()).describe('Each mistake in the declaration, in words'),
  correctness: z
    .object({
      reference: z.string(),
      implementations: z.array(
        z.object({
          name: z.string(),
          status: z.enum([
            'reference',
            'agrees',
            'disagrees',
            'raised',
            'did_not_finish',
            'failed',
          ]),
          checked_inputs: z.number().describe('Inputs on which it was compared with the reference'),
          checked_sizes: z.array(z.number()),
          unchecked_sizes: z
            .array(z.number())
            .describe('Declared sizes not compared (budget, or past the first failure)'),
          failure: z
            .object({ n: z.number(), input: z.string(), expected: z.string(), got: z.string() })
            .nullable()
            .describe('The smallest input on which it disagreed'),
          bisected: z
            .boolean()
            .describe('Whether the failing n was narrowed down between two declared sizes'),
          note: z.string().nullable(),
        }),
      ),
    })
    .nullable(),
  complexity: z.array(
    z.object({
      name: z.string(),
      points: z.array(
        z.object({
          n: z.number(),
          seconds: z.number().describe("Median over the inputs of each input's best time per call"),
          low: z.number().describe('Best time of the fastest input'),
          high: z.number().describe('Best time of the slowest input'),
          inputs: z.number().describe('Distinct seeded inputs timed at this size'),
          rounds: z.number().describe('Fewest timed repeats of any input'),
          noise: z.number().describe('Median of (median repeat / best repeat - 1)'),
        }),
      ),
      stopped: StopSchema.describe('Why measuring ended before the last declared size'),
      fit: z
        .object({
          class: z.string(),
          confidence: z.number().describe('Share of bootstrap resamples that chose this class'),
          certain: z
            .boolean()
            .describe(
              "confidence >= environment.confidence_threshold, and the exponent interval not past halfway to a neighbouring class's exponent",
            ),
          alternatives: z.array(z.object({ class: z.string(), share: z.number() })),
          reason: z
            .string()
            .nullable()
            .describe('Why this class and not the lowest-error one, or what is uncertain'),
          rms_error: z.number(),
          coefficients: z.object({ a: z.number(), b: z.number() }).describe('y ≈ a·f(n) + b'),
          base: z.number().nullable().describe('For O(2^n): the fitted c in c^n'),
          exponent: ExponentSchema.describe('Power law y ≈ a·n^k + c, with a 90 % interval'),
          runner_up: z.string().nullable(),
          runner_up_rms_error: z.number().nullable(),
          classes: z.array(ClassRowSchema),
        })
        .nullable(),
      memory: z
        .object({
          points: z.array(z.object({ n: z.number(), bytes: z.number() })),
          stopped: StopSchema,
          fit: z
            .object({
              class: z.string(),
              certain: z
                .boolean()
                .describe('Whether the class fits every peak within 20 % (relative error)'),
              reason: z.string().nullable().describe('Why the class is not certain'),
              rms_error: z.number(),
              coefficients: z.object({ a: z.number(), b: z.number() }),
              exponent: z.number().nullable(),
              classes: z.array(z.object({ class: z.string(), rms_error: z.number() })),
            })
            .nullable(),
        })
        .nullable()
        .describe('Peak bytes allocated by one call (tracemalloc), per size'),
    }),
  ),
  notes: z.array(z.string()),
});

export type Report = z.infer<typeof ReportSchema>;
export type ComplexityEntry = Report['complexity'][number];
export type CorrectnessEntry = NonNullable<Report['correctness']>['implementations'][number];
export type Stop = ComplexityEntry['stopped'];
