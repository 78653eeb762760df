/**
 * How long one timed or traced call may run before the probe stops it: half the budget, at
 * least 0.2 s. Decided here and passed to the probe, so the verdict can tell what a slow_call
 * stop was measured against without deriving it again.
 */
export function callLimitSeconds(budgetSeconds: number): number {
  return Math.max(budgetSeconds / 2, 0.2);
}
