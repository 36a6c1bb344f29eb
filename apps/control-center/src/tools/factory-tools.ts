// MCP tools of the control center: read-only views for an agent that needs to know what works.
import { defineTool, z } from '@factory/base-server';
import type { ApiDeps } from '../api/routes.js';
import { queryIncidents } from '../api/routes.js';
import { INCIDENT_STATES } from '../incidents/incident-repository.js';

export function factoryTools(deps: ApiDeps) {
  const getFactoryHealth = defineTool({
    name: 'get_factory_health',
    title: 'Get factory health',
    description:
      'Returns whether the Factory is available (every required service ready) and, for each registered service, its status (up, degraded, not_ready, down, not_configured, unknown; not_configured is neutral: a required setting is missing, named in setup) and the dependencies that are failing, from the latest health sweep. Use it before relying on a Factory MCP server, or to explain why one is failing. Set only_problems to list just the services that are not up.',
    inputSchema: z.object({ only_problems: z.boolean().default(false).describe('List only services whose status is not "up"') }),
    outputSchema: z.object({
      available: z.boolean().nullable(),
      last_sweep_at: z.string().nullable(),
      open_incidents: z.number(),
      services: z.array(
        z.object({
          name: z.string(),
          status: z.string(),
          required: z.boolean(),
          error: z.string().nullable(),
          setup: z.array(z.string()),
          in_maintenance: z.boolean(),
          failing_dependencies: z.array(z.object({ name: z.string(), status: z.string(), message: z.string().nullable() })),
          uptime_30d: z.number().nullable(),
        }),
      ),
    }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ only_problems }) => {
      const snap = deps.collector.snapshot;
      return {
        available: snap.available,
        last_sweep_at: snap.lastSweepAt,
        open_incidents: snap.openIncidents,
        services: snap.services
          .filter((s) => !only_problems || s.status !== 'up')
          .map((s) => ({
            name: s.name,
            status: s.status,
            required: s.required,
            error: s.error,
            setup: s.setup,
            in_maintenance: s.maintenance !== null,
            failing_dependencies: Object.entries(s.checks)
              .filter(([, c]) => c.status !== 'ok' && c.status !== 'not_configured')
              .map(([name, c]) => ({ name, status: c.status, message: c.message })),
            uptime_30d: s.uptime['30d'],
          })),
      };
    },
    text: (o) =>
      `Factory ${o.available === null ? 'not yet checked' : o.available ? 'available' : 'UNAVAILABLE'}; ${o.services.map((s) => `${s.name}: ${s.status}`).join(', ') || 'no services listed'}.`,
  });

  const listIncidentsTool = defineTool({
    name: 'list_incidents',
    title: 'List incidents',
    description:
      'Lists Factory incidents (one per service outage: the service down, not ready or with a failing dependency for consecutive sweeps), newest first, with status, failing dependencies, duration, the latest cause, whether an operator acknowledged it, and the mean time to recovery over the window. Use it to see what is broken now (state "open", or "unacknowledged" for what nobody has taken yet) or what broke recently. Pass the returned next_cursor as cursor for older incidents.',
    inputSchema: z.object({
      service: z.string().max(63).optional().describe('Only incidents of this registered service, e.g. "memory"'),
      state: z
        .enum(INCIDENT_STATES)
        .optional()
        .describe('"open" for ongoing incidents ("unacknowledged"/"acknowledged" narrow them by acknowledgement), "resolved" for past ones; omit for all'),
      limit: z.number().int().min(1).max(50).default(20).describe('How many incidents to return'),
      cursor: z.string().regex(/^\d{1,19}$/).optional().describe('next_cursor from a previous call'),
    }),
    outputSchema: z.object({
      incidents: z.array(
        z.object({
          id: z.string(),
          service: z.string(),
          status: z.enum(['down', 'not_ready', 'degraded']),
          dependencies: z.array(z.string()),
          opened_at: z.string(),
          resolved_at: z.string().nullable(),
          duration_seconds: z.number(),
          cause: z.string(),
          acknowledged_at: z.string().nullable(),
          acknowledged_by: z.string().nullable(),
        }),
      ),
      next_cursor: z.string().nullable(),
      mttr_seconds_30d: z.number().nullable(),
    }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async (args) => {
      const r = await queryIncidents(deps, { service: args.service, state: args.state, limit: args.limit, cursor: args.cursor, dependency: undefined, from: undefined, to: undefined });
      return { incidents: r.incidents, next_cursor: r.next_cursor, mttr_seconds_30d: r.mttr.mttr_seconds };
    },
  });

  return [getFactoryHealth, listIncidentsTool];
}
