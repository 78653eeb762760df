/**
 * Readiness: whether this server should be sent new MCP sessions. Ready when the sandbox pool is
 * warm (a sandbox has started and the latest start did not fail), the language server answers
 * (it has answered initialize and is not restarting), and the server is not draining. A
 * language server that is switched off or not installed does not hold readiness back: the lsp_*
 * tools say so themselves; one that crashed past its restart budget does.
 */
import type { Runtime } from './runtime.js';

export interface Readiness {
  ready: boolean;
  /** One word per check, for people and probes reading the body. */
  checks: { pool: 'warm' | 'cold'; language_server: string; draining: boolean };
}

export function readiness(runtime: Runtime, draining: boolean): Readiness {
  const pool = runtime.executor.stats.poolWarm ? 'warm' : 'cold';
  const languageServer = languageServerCheck(runtime.codeIntelStatus());
  const ready = pool === 'warm' && languageServer.ok && !draining;
  return { ready, checks: { pool, language_server: languageServer.word, draining } };
}

function languageServerCheck(status: ReturnType<Runtime['codeIntelStatus']>): {
  ok: boolean;
  word: string;
} {
  if (status === 'not_started' || status === 'starting') return { ok: false, word: status };
  // Off or not installed: nothing to wait for.
  if ('unavailable' in status) return { ok: true, word: 'off' };
  const state = status.client.currentState;
  return { ok: state === 'ready', word: state };
}
