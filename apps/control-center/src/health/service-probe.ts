// Fetches one service's /health (liveness) and /ready (readiness) under their own timeouts.
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import { DeadlineExceeded, withDeadline, z } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import { serviceStatus } from './status.js';
import type { DependencyResult, ServicePoll } from './types.js';

const MAX_BODY_BYTES = 256 * 1024;

const readyBodySchema = z.object({
  ready: z.boolean(),
  version: z.string().optional(),
  checks: z
    .record(
      z.string(),
      z.object({
        status: z.enum(['ok', 'warning', 'error', 'not_configured']),
        latency_ms: z.number().optional(),
        message: z.string().optional(),
      }),
    )
    .default({}),
  dependencies: z.object({ required: z.array(z.string()).default([]), optional: z.array(z.string()).default([]) }).default({ required: [], optional: [] }),
  errors: z.array(z.string()).optional(),
});

export interface ProbeTimeouts {
  healthMs: number;
  readyMs: number;
}

export interface ProbeOptions {
  /** The undici dispatcher (boundedAgent) whose socket timeouts match the probe's bounds. */
  dispatcher?: Dispatcher | undefined;
  /** Aborted by the sweep's hard deadline. */
  signal?: AbortSignal | undefined;
  now?: () => Date;
}

function reason(err: unknown, what: string, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e instanceof DeadlineExceeded || e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT' || e?.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return `${what} did not answer within ${timeoutMs} ms`;
  }
  if (e?.name === 'AbortError') return `${what} was not checked because the service is not live`;
  const code = e?.code ?? e?.cause?.code;
  if (code === 'ECONNREFUSED') return `${what} refused the connection: is the service running?`;
  return `${what} failed: ${(code ?? e?.cause?.message ?? e?.message ?? 'request failed').slice(0, 200)}`;
}

interface Answer {
  status: number;
  text: string;
  /** The body was longer than MAX_BODY_BYTES: reading stopped there. */
  truncated: boolean;
  latency: number;
}

/**
 * GET `url` bounded by `timeoutMs` (deadline, and the dispatcher's own socket timeouts), reading at most
 * MAX_BODY_BYTES of the body: past the cap the connection is dropped instead of read to its end.
 */
function get(url: string, timeoutMs: number, options: ProbeOptions, extraSignal?: AbortSignal): Promise<Answer> {
  const started = performance.now();
  return withDeadline(
    timeoutMs,
    async (signal) => {
      const res = await request(url, {
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const room = MAX_BODY_BYTES - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          truncated = true;
          break; // leaving the loop destroys the body: nothing past the cap is read
        }
        chunks.push(chunk);
        size += chunk.length;
      }
      return { status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), truncated, latency: Math.round(performance.now() - started) };
    },
    { signal: extraSignal ?? options.signal },
  );
}

const clip = (s: string | undefined | null): string | null => (s ? (s.length > 300 ? `${s.slice(0, 297)}...` : s) : null);

/** Polls one service. Never throws; a dead or hanging service becomes a `down` result within the timeouts. */
export async function probeService(entry: ServiceEntry, timeouts: ProbeTimeouts, options: ProbeOptions = {}): Promise<ServicePoll> {
  const checkedAt = (options.now ?? (() => new Date()))();
  const base = entry.url.replace(/\/+$/, '');
  const liveAbort = new AbortController();
  const onSweepAbort = () => liveAbort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onSweepAbort, { once: true });

  const health = (async () => {
    try {
      const res = await get(`${base}/health`, timeouts.healthMs, options);
      if (res.status !== 200) return { ok: false, latency: res.latency, error: `/health answered ${res.status}` };
      return { ok: true, latency: res.latency, error: null };
    } catch (err) {
      return { ok: false, latency: null, error: reason(err, '/health', timeouts.healthMs) };
    }
  })();

  const ready = (async () => {
    try {
      const res = await get(`${base}/ready`, timeouts.readyMs, options, liveAbort.signal);
      if (res.truncated) return { latency: res.latency, body: null, error: `/ready answered ${res.status} with a body larger than ${MAX_BODY_BYTES / 1024} KiB` };
      let json: unknown;
      try {
        json = JSON.parse(res.text);
      } catch {
        return { latency: res.latency, body: null, error: `/ready answered ${res.status} without a JSON body` };
      }
      const parsed = readyBodySchema.safeParse(json);
      if (!parsed.success) return { latency: res.latency, body: null, error: `/ready answered ${res.status} with a body that does not follow the service contract` };
      return { latency: res.latency, body: parsed.data, status: res.status, error: null };
    } catch (err) {
      return { latency: null, body: null, error: reason(err, '/ready', timeouts.readyMs) };
    }
  })();

  const h = await health;
  // A service that is not live cannot be ready: stop waiting for /ready.
  if (!h.ok) liveAbort.abort(new DOMException('not live', 'AbortError'));
  const r = await ready;
  options.signal?.removeEventListener('abort', onSweepAbort);

  const checks: Record<string, DependencyResult> = {};
  let ready_ = false;
  let version: string | null = null;
  let error: string | null = h.ok ? null : h.error;
  if (h.ok && r.body) {
    const required = new Set(r.body.dependencies.required);
    for (const [name, c] of Object.entries(r.body.checks)) {
      const isRequired = required.has(name);
      checks[name] = {
        status: c.status,
        latency_ms: c.latency_ms ?? null,
        message: clip(c.message),
        required: isRequired,
        success: c.status === 'ok' || c.status === 'warning' || (c.status === 'not_configured' && !isRequired),
      };
    }
    ready_ = r.body.ready && r.status === 200;
    version = r.body.version ?? null;
    if (!ready_) error = clip(r.body.errors?.[0] ?? `/ready answered ${r.status}`);
  } else if (h.ok) {
    error = r.error;
  }

  const status = serviceStatus(h.ok, ready_, checks);

  return {
    service: entry.name,
    checkedAt,
    live: h.ok,
    ready: ready_,
    status,
    healthLatencyMs: h.latency,
    readyLatencyMs: h.ok ? r.latency : null,
    version,
    error,
    checks,
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
