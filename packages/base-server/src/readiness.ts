// The dependency-check framework behind GET /ready.
// Checks run in parallel, each bounded by its own timeout through withDeadline: an AbortSignal *and* a
// race (so a check that ignores its signal still cannot hang the answer); concurrent callers share one evaluation.
import { performance } from 'node:perf_hooks';
import { CHECK_STATUS_VALUE, type ServiceMetrics } from './metrics.js';
import { withDeadline } from './clients/deadline.js';

export type CheckStatus = 'ok' | 'warning' | 'error' | 'not_configured';

/** What a check's `run` may return; returning nothing means `ok`. Throwing means `error` with the message. */
export interface CheckOutcome {
  status?: CheckStatus;
  message?: string;
  /** Small, safe facts for operators (e.g. rate-limit remaining, account id). */
  details?: Record<string, unknown>;
}

export interface ReadinessCheck {
  name: string;
  required: boolean;
  /** Upper bound for one run (default READY_CHECK_TIMEOUT_MS, at most 5000). */
  timeoutMs?: number;
  /** Reuse the last result for this long (checks that cost quota); the answer then says when it was measured. */
  minIntervalMs?: number;
  /** Latency above which an ok result becomes `warning` (default READY_WARN_LATENCY_MS). */
  warnLatencyMs?: number;
  run(signal: AbortSignal): Promise<CheckOutcome | void> | CheckOutcome | void;
}

export interface CheckResult {
  status: CheckStatus;
  latency_ms?: number;
  message?: string;
  details?: Record<string, unknown>;
  /** Present when the result was reused from an earlier measurement. */
  checked_at?: string;
}

export interface ReadinessBody {
  ready: boolean;
  service: string;
  version: string;
  timestamp: string;
  checks: Record<string, CheckResult>;
  dependencies: { required: string[]; optional: string[] };
  errors?: string[];
}

export const MAX_READY_MS = 5_000;

interface Cached {
  result: CheckResult;
  at: number;
}

function shortMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message : typeof err === 'string' ? err : 'check failed';
  const line = (raw.split('\n', 1)[0] ?? '').trim() || 'check failed';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

export interface ReadinessOptions {
  service: string;
  version: string;
  checks: ReadinessCheck[];
  defaultTimeoutMs: number;
  defaultWarnLatencyMs: number;
  metrics?: ServiceMetrics;
}

export class Readiness {
  private readonly cache = new Map<string, Cached>();
  private inFlight: Promise<ReadinessBody> | undefined;
  private readonly dependencies: { required: string[]; optional: string[] };

  constructor(private readonly options: ReadinessOptions) {
    const names = new Set<string>();
    for (const c of options.checks) {
      if (names.has(c.name)) throw new Error(`duplicate readiness check name: ${c.name}`);
      names.add(c.name);
    }
    this.dependencies = {
      required: options.checks.filter((c) => c.required).map((c) => c.name),
      optional: options.checks.filter((c) => !c.required).map((c) => c.name),
    };
  }

  /** Evaluates every check, sharing one evaluation among concurrent callers. */
  evaluate(): Promise<ReadinessBody> {
    if (!this.inFlight) {
      this.inFlight = this.evaluateNow().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /** A not-ready answer that runs no check (before start-up finished, during shutdown). */
  notReady(reason: string): ReadinessBody {
    return {
      ready: false,
      service: this.options.service,
      version: this.options.version,
      timestamp: new Date().toISOString(),
      checks: {},
      dependencies: this.dependencies,
      errors: [reason],
    };
  }

  private async evaluateNow(): Promise<ReadinessBody> {
    const entries = await Promise.all(this.options.checks.map(async (c) => [c, await this.runCached(c)] as const));
    const checks: Record<string, CheckResult> = {};
    const errors: string[] = [];
    let ready = true;
    for (const [check, result] of entries) {
      checks[check.name] = result;
      const failed = result.status === 'error' || result.status === 'not_configured';
      if (check.required && failed) ready = false;
      if (result.status === 'error' || (check.required && result.status === 'not_configured')) {
        errors.push(`${check.name} check failed: ${result.message ?? result.status}`);
      }
    }
    const body: ReadinessBody = {
      ready,
      service: this.options.service,
      version: this.options.version,
      timestamp: new Date().toISOString(),
      checks,
      dependencies: this.dependencies,
    };
    if (errors.length > 0) body.errors = errors;
    return body;
  }

  private async runCached(check: ReadinessCheck): Promise<CheckResult> {
    const cached = this.cache.get(check.name);
    if (cached && check.minIntervalMs && performance.now() - cached.at < check.minIntervalMs) {
      return { ...cached.result, checked_at: new Date(Date.now() - (performance.now() - cached.at)).toISOString() };
    }
    const result = await this.runOne(check);
    if (check.minIntervalMs) this.cache.set(check.name, { result, at: performance.now() });
    return result;
  }

  private async runOne(check: ReadinessCheck): Promise<CheckResult> {
    const timeoutMs = Math.min(check.timeoutMs ?? this.options.defaultTimeoutMs, MAX_READY_MS);
    const warnMs = check.warnLatencyMs ?? this.options.defaultWarnLatencyMs;
    const started = performance.now();
    const result = await withDeadline(
      timeoutMs,
      (signal) =>
        Promise.resolve()
          .then(() => check.run(signal))
          .then(
            (outcome): CheckResult => {
              const result: CheckResult = { status: outcome?.status ?? 'ok' };
              if (outcome?.message) result.message = outcome.message;
              if (outcome?.details) result.details = outcome.details;
              return result;
            },
            (err: unknown): CheckResult => ({ status: 'error', message: shortMessage(err) }),
          ),
      { message: `timed out after ${timeoutMs} ms` },
    ).catch((): CheckResult => ({ status: 'error', message: `${check.name} did not answer within ${timeoutMs} ms` }));
    const latency = Math.round(performance.now() - started);
    if (result.status !== 'not_configured') result.latency_ms = latency;
    if (result.status === 'ok' && latency > warnMs) {
      result.status = 'warning';
      result.message = `${check.name} latency ${latency} ms (above ${warnMs} ms)`;
    }
    const metrics = this.options.metrics;
    if (metrics) {
      metrics.checkStatus.set({ dependency: check.name }, CHECK_STATUS_VALUE[result.status]);
      metrics.checkDuration.observe({ dependency: check.name }, latency / 1000);
    }
    // Reorder keys so the wire format reads status, latency, message, details.
    const ordered: CheckResult = { status: result.status };
    if (result.latency_ms !== undefined) ordered.latency_ms = result.latency_ms;
    if (result.message !== undefined) ordered.message = result.message;
    if (result.details !== undefined) ordered.details = result.details;
    return ordered;
  }
}
