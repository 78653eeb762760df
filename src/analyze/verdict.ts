/** The report's top-level verdict, and what the cross-check left unchecked. */
import type { Report } from './report.js';
import { callLimitSeconds } from './call-limit.js';
import { predictClass } from './fit.js';
import { formatSeconds } from './render-text.js';

export function uncheckedMeasuredSizes(report: Report): string[] {
  const out: string[] = [];
  for (const entry of report.complexity) {
    const check = report.correctness?.implementations.find((c) => c.name === entry.name);
    if (check?.status !== 'agrees') continue;
    const checked = new Set(check.checked_sizes);
    const missing = entry.points.map((p) => p.n).filter((n) => !checked.has(n));
    if (missing.length > 0)
      out.push(
        `${entry.name} was measured at ${missing.length} size${missing.length === 1 ? '' : 's'} the cross-check did not reach within its budget (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}).`,
      );
  }
  return out;
}

/**
 * The innermost frame of a traceback that is in the workspace, as "FILE line N" (the line a
 * SyntaxError points at, or the import that raised), or null when no frame is.
 */
export function workspaceFrame(traceback: string): string | null {
  let found: string | null = null;
  for (const match of traceback.matchAll(/^\s*File "\/workspace\/([^"\n]+)", line (\d+)/gm))
    found = `${match[1] ?? ''} line ${match[2] ?? ''}`;
  return found;
}

/** The top-level verdict: what failed, else whether any class is uncertain (or missing). */
export function verdictOf(report: Report): Report['verdict'] {
  const problems: string[] = [];
  if (report.load_error !== null) {
    const line = report.load_error.trim().split('\n').pop() ?? '';
    const where = workspaceFrame(report.load_error);
    problems.push(`the module did not load: ${line}${where === null ? '' : ` (${where})`}`);
  }
  problems.push(...report.declaration_errors);
  if (report.doctests !== null && report.doctests.failed > 0)
    problems.push(`${report.doctests.failed} of ${report.doctests.attempted} doctests failed`);
  for (const c of report.correctness?.implementations ?? []) {
    if (c.failure !== null) {
      const f = c.failure;
      problems.push(
        `${c.name} ${c.status === 'did_not_finish' ? 'did not finish' : c.status === 'raised' ? 'raised' : 'disagrees with ' + (report.correctness?.reference ?? 'the reference')} at n=${f.n}: got ${f.got}, expected ${f.expected}`,
      );
    } else if (c.status === 'failed')
      problems.push(`${c.name}: ${c.note ?? 'the cross-check failed'}`);
  }
  // Not measured at all because it raised (or its input did) or did not finish, and not already reported as a
  // failure of the cross-check (where a single implementation is its own reference).
  for (const c of report.complexity) {
    const stop = c.stopped;
    if (c.points.length > 0 || stop === null) continue;
    if (stop.reason !== 'raised' && stop.reason !== 'input_error' && stop.reason !== 'slow_call')
      continue;
    const check = report.correctness?.implementations.find((i) => i.name === c.name);
    if (check !== undefined && (check.failure !== null || check.status === 'failed')) continue;
    const guessed =
      report.declaration?.input_guessed === true && stop.reason !== 'slow_call'
        ? ` on the input guessed from its signature (${report.declaration.input}): give --input`
        : '';
    problems.push(
      `${c.name} was not measured: ${stop.reason === 'raised' ? 'it raised' : stop.reason === 'slow_call' ? 'no call finished in time' : 'the input generator failed'}${stop.n === null ? '' : ` at n=${stop.n}`}${guessed}${stop.detail === null ? '' : ` (${stop.detail})`}`,
    );
  }
  // Stopped by a call that ran past the limit at a size where its own class predicts a small
  // fraction of that: the class does not explain the stop (an endless loop at larger n, or a
  // jump no measured size shows), so it is not a class to be sure of.
  const unexplained: string[] = [];
  for (const c of report.complexity) {
    const stop = c.stopped;
    if (c.fit === null || stop?.reason !== 'slow_call' || stop.n === null) continue;
    const limit = callLimitSeconds(report.environment.budget_seconds);
    const predicted = predictClass(
      c.fit.class,
      c.fit.coefficients.a,
      c.fit.coefficients.b,
      c.fit.base,
      stop.n,
    );
    if (predicted !== null && predicted < limit / 10)
      unexplained.push(
        `${c.name}: ${stop.detail ?? `a call at n=${stop.n} was too slow`}, where its class ${c.fit.class} predicts ${formatSeconds(predicted)}: too slow there for a reason the sizes below do not show, or it does not end`,
      );
  }
  const classes = report.complexity.map((c) => {
    if (c.fit === null) return `${c.name} not fitted (${c.points.length} points)`;
    const label =
      c.fit.class === 'O(2^n)' && c.fit.base !== null
        ? `O(${c.fit.base.toFixed(2)}^n)`
        : c.fit.class;
    if (c.fit.certain) return `${c.name} ${label}`;
    const others = c.fit.alternatives.map((a) => a.class);
    return `${c.name} ${[label, ...others].join(' or ')} (uncertain, ${Math.round(c.fit.confidence * 100)} %)`;
  });
  // A measured implementation without a class (too few points) has nothing to be certain of.
  const uncertain =
    report.complexity.some(
      (c) => (c.fit !== null && !c.fit.certain) || (c.fit === null && c.points.length > 0),
    ) || unexplained.length > 0;
  const status = problems.length > 0 ? 'failed' : uncertain ? 'uncertain' : 'ok';
  const agreeing = (report.correctness?.implementations ?? []).filter((c) => c.status === 'agrees');
  const parts: string[] = [];
  if (classes.length > 0) parts.push(classes.join('; '));
  if (report.correctness !== null && agreeing.length > 0)
    parts.push(
      `${agreeing.length} implementation${agreeing.length === 1 ? '' : 's'} agree${agreeing.length === 1 ? 's' : ''} with ${report.correctness.reference}`,
    );
  parts.push(...unexplained);
  // The renderers put the status in front ("FAILED: ..."); the summary does not repeat it.
  if (problems.length > 0) parts.unshift(problems.join('; '));
  if (parts.length === 0)
    parts.push(report.declared ? 'nothing was measured' : 'not measured (no declaration)');
  return { status, summary: parts.join('. '), problems };
}
