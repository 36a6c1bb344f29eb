// What one sweep learns about one service.
/** not_configured: live, not ready only because a required dependency lacks its setting (neutral). */
export type ServiceStatus = 'up' | 'degraded' | 'not_ready' | 'not_configured' | 'down';

export interface DependencyResult {
  status: 'ok' | 'warning' | 'error' | 'not_configured';
  latency_ms: number | null;
  message: string | null;
  required: boolean;
  /** ok/warning, or an optional dependency that is not configured. */
  success: boolean;
}

export interface ServicePoll {
  service: string;
  checkedAt: Date;
  live: boolean;
  ready: boolean;
  status: ServiceStatus;
  healthLatencyMs: number | null;
  readyLatencyMs: number | null;
  version: string | null;
  /** Why the service is down or not ready, in one sentence. */
  error: string | null;
  checks: Record<string, DependencyResult>;
}

export interface SweepResult {
  startedAt: Date;
  durationMs: number;
  polls: ServicePoll[];
}
