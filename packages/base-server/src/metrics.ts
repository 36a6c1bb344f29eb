// Prometheus metrics. Each service owns one Registry (not prom-client's global one), so several
// services can live in one process (tests, benchmarks) without clashing.
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';

export { Registry, Counter, Histogram, Gauge } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  toolCalls: Counter<'tool' | 'outcome'>;
  toolDuration: Histogram<'tool' | 'outcome'>;
  /** MCP requests by how they were answered: `fast` (plain tools/call, no per-request SDK server) or `sdk`. */
  mcpRequests: Counter<'path'>;
  checkStatus: Gauge<'dependency'>;
  checkDuration: Histogram<'dependency'>;
}

/** Readiness status as a number: 1 ok, 0.5 warning, 0 error, -1 not_configured. */
export const CHECK_STATUS_VALUE = { ok: 1, warning: 0.5, error: 0, not_configured: -1 } as const;

export function createMetrics(service: string, version: string, collectDefaults = true): ServiceMetrics {
  const registry = new Registry();
  // `app`, not `service`: the control center's own series use `service` for the service they describe.
  registry.setDefaultLabels({ app: service, version });
  if (collectDefaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    toolCalls: new Counter({
      name: 'mcp_tool_calls_total',
      help: 'MCP tool calls by tool and outcome (an isError result counts as error)',
      labelNames: ['tool', 'outcome'],
      registers: [registry],
    }),
    mcpRequests: new Counter({
      name: 'mcp_requests_total',
      help: 'MCP requests by path: fast (a plain tools/call answered from the registry) or sdk (the SDK handler)',
      labelNames: ['path'],
      registers: [registry],
    }),
    toolDuration: new Histogram({
      name: 'mcp_tool_duration_seconds',
      help: 'MCP tool call duration by tool and outcome',
      labelNames: ['tool', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
      registers: [registry],
    }),
    checkStatus: new Gauge({
      name: 'readiness_check_status',
      help: 'Latest readiness check status per dependency: 1 ok, 0.5 warning, 0 error, -1 not_configured',
      labelNames: ['dependency'],
      registers: [registry],
    }),
    checkDuration: new Histogram({
      name: 'readiness_check_duration_seconds',
      help: 'Readiness check duration per dependency',
      labelNames: ['dependency'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
