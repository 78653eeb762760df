/**
 * What `serve --http` reports at /metrics: tool calls by tool and outcome with their durations,
 * the sandboxes, run queue and Python sessions of the executor, the MCP sessions of the HTTP
 * server, language-server restarts, drain state, and a few process figures that cost one
 * syscall or one small /proc read each.
 */
import { readdirSync } from 'node:fs';
import { VERSION } from '../shared/version.js';
import { MetricsRegistry } from './metrics.js';
import type { Runtime } from './runtime.js';
import type { ToolCallObserver } from './tools/tool-registry.js';

/** Seconds: from a quick lsp_hover to a long run_python_code (the largest timeout is 3600 s). */
export const CALL_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600,
] as const;

export interface ServiceMetrics {
  registry: MetricsRegistry;
  onToolCall: ToolCallObserver;
}

export function createServiceMetrics(
  runtime: Runtime,
  service: { replicaId: string | null; draining: () => boolean; mcpSessions: () => number },
): ServiceMetrics {
  const registry = new MetricsRegistry();
  registry.gauge('isolated_pymcp_info', 'Version and replica of this server (always 1).', () => [
    [{ version: VERSION, replica: service.replicaId ?? '' }, 1],
  ]);
  const calls = registry.counter(
    'isolated_pymcp_tool_calls_total',
    'Tool calls answered, by tool and outcome (ok, error: an isError result, invalid_arguments, unknown_tool).',
    ['tool', 'outcome'],
  );
  const durations = registry.histogram(
    'isolated_pymcp_tool_call_duration_seconds',
    'Time from a tool call arriving to its answer, queueing included, by tool.',
    CALL_DURATION_BUCKETS,
    ['tool'],
  );
  const stats = () => runtime.executor.stats;
  registry.gauge(
    'isolated_pymcp_sandboxes_alive',
    'Sandboxes running: pooled, held by Python sessions, running fresh calls.',
    () => stats().sandboxesAlive,
  );
  registry.gauge(
    'isolated_pymcp_runs_in_progress',
    'Python calls holding a run slot.',
    () => stats().runsInProgress,
  );
  registry.gauge(
    'isolated_pymcp_run_queue_depth',
    'Python calls waiting for a run slot.',
    () => stats().runsQueued,
  );
  registry.gauge(
    'isolated_pymcp_python_sessions',
    'Python sessions open (create_session).',
    () => stats().sessions,
  );
  registry.counterFrom(
    'isolated_pymcp_language_server_restarts_total',
    'Times the language server was restarted after it crashed or hung.',
    () => {
      const status = runtime.codeIntelStatus();
      return typeof status === 'object' && 'client' in status ? status.client.restartCount : 0;
    },
  );
  registry.gauge('isolated_pymcp_mcp_sessions_open', 'MCP sessions open.', () =>
    service.mcpSessions(),
  );
  registry.gauge('isolated_pymcp_draining', '1 while the server drains before it exits.', () =>
    service.draining() ? 1 : 0,
  );
  addProcessMetrics(registry);
  return {
    registry,
    onToolCall: (tool, outcome, seconds) => {
      calls.inc({ tool, outcome });
      durations.observe({ tool }, seconds);
    },
  };
}

const STARTED_AT_SECONDS = Date.now() / 1000 - process.uptime();

/** The process_* figures Prometheus' own clients report, where they are cheap to read. */
function addProcessMetrics(registry: MetricsRegistry): void {
  registry.counterFrom(
    'process_cpu_seconds_total',
    'User and system CPU time of this process, in seconds.',
    () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    },
  );
  registry.gauge(
    'process_resident_memory_bytes',
    'Resident memory of this process (not of its sandboxes).',
    () => process.memoryUsage.rss(),
  );
  registry.gauge(
    'process_start_time_seconds',
    'When this process started, in seconds since the epoch.',
    () => STARTED_AT_SECONDS,
  );
  registry.gauge('process_open_fds', 'Open file descriptors of this process.', () => {
    try {
      return readdirSync('/proc/self/fd').length;
    } catch {
      return NaN;
    }
  });
  registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use.', () => process.memoryUsage().heapUsed);
}
