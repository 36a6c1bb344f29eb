// Optional error tracking with Sentry (@sentry/node), off unless SENTRY_DSN is set. Only unexpected
// errors are sent — the ones someone has to fix in the code:
//  - answers of the one error boundary (pipeline.ts sendError) with a 5xx that is not retryable: an
//    internal error (a bug, or a failure nothing mapped). Not 4xx (the caller's fault), and not the
//    retryable 5xx — a 503 of a dependency outage (database, Redis, the identity provider) or a 502 of
//    an upstream (GitHub, AWS): those are operations, watched by /ready, metrics and alarms;
//  - tool calls whose handler threw such an error (MCP answers them `isError: true`); never an
//    `isError` result the caller caused (bad arguments, an unknown tool, a 4xx AppError);
//  - uncaught exceptions and unhandled rejections of the process.
// Every event carries the tags `request_id`, `service` and `version` (and `mcp.tool` for tool calls),
// the release `<service>@<version>` unless SENTRY_RELEASE says otherwise, and is scrubbed in
// beforeSend (see scrubEvent) — no request headers or bodies are attached in the first place.
// Sentry sets up no OpenTelemetry of its own (skipOpenTelemetrySetup, no http/fetch integrations,
// no tracesSampleRate): tracing stays tracing.ts's one NodeSDK.
import type * as SentryModule from '@sentry/node';
import type { ErrorTrackingSettings } from './config.js';
import { toAppError } from './errors.js';

type Sentry = typeof SentryModule;
type SentryEvent = Parameters<NonNullable<SentryModule.NodeOptions['beforeSend']>>[0];

let sdk: Promise<Sentry | undefined> | undefined;
let described: { service: string; version: string } | undefined;
const secrets = new Set<string>();

export const FILTERED = '[Filtered]';

/** Keys whose values are never sent, wherever they appear in an event (headers, contexts, extra, tags). */
const SECRET_KEY = /^(authorization|proxy-authorization|cookies?|set-cookie|x-api-key|api[-_]?keys?|password|passwd|session|private[-_]?key|credentials?)$|token|secret/i;

/** Secrets recognisable by their shape, replaced wherever they appear in a string. */
const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${FILTERED}`],
  // Credentials in URLs: userinfo (postgres://user:pass@host) and query parameters that carry secrets.
  [/([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${FILTERED}@`],
  [/([?&](?:access_token|id_token|refresh_token|token|api_key|apikey|key|code|client_secret|password|sig|signature)=)[^&#\s"']*/gi, `$1${FILTERED}`],
  // JWTs, GitHub tokens, AWS access key ids.
  [/\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/g, FILTERED],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, FILTERED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, FILTERED],
];

function scrubString(s: string): string {
  let out = s;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(FILTERED);
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (typeof value !== 'object' || value === null || depth > 12) return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null ? FILTERED : scrubValue(v, depth + 1);
  return out;
}

/**
 * An event with every secret removed: values under secret-looking keys (authorization, cookie,
 * x-api-key, *token*, *secret*, password, …), and in every string — exception messages, breadcrumbs,
 * URLs — bearer/basic credentials, URL userinfo and secret query parameters, JWTs, GitHub tokens, AWS
 * key ids, and the exact values of this service's configured secrets (API keys, tokens, passwords).
 */
export function scrubEvent<E extends object>(event: E): E {
  return scrubValue(event, 0) as E;
}

/**
 * Registers the secret values of a service's config (every string setting whose name says KEY, TOKEN,
 * SECRET, PASSWORD or DSN, and each API key) so that they are replaced wherever they appear in an event.
 */
export function registerSecretsOf(config: object): void {
  for (const [name, value] of Object.entries(config)) {
    if (name === 'API_KEYS' && Array.isArray(value)) {
      for (const k of value as Array<{ key?: unknown }>) if (typeof k.key === 'string') secrets.add(k.key);
    } else if (typeof value === 'string' && value.length >= 8 && /KEY|TOKEN|SECRET|PASSWORD|DSN/.test(name)) {
      secrets.add(value);
    }
  }
}

/** Whether an error that reached a boundary is one to report: a 5xx nobody marked retryable. */
export function isUnexpectedError(err: unknown): boolean {
  const appErr = toAppError(err);
  return appErr.status >= 500 && !appErr.retryable;
}

function beforeSend(event: SentryEvent): SentryEvent {
  if (described) {
    event.tags = { service: described.service, version: described.version, ...event.tags };
    event.release ??= `${described.service}@${described.version}`;
  }
  return scrubEvent(event);
}

/**
 * Starts Sentry once per process (the `instrument` preload, or createService when no preload did).
 * Resolves whether it runs. Loading @sentry/node is deferred to here: a service without SENTRY_DSN
 * never loads it.
 */
export function startErrorTracking(settings: ErrorTrackingSettings): Promise<boolean> {
  sdk ??= import('@sentry/node').then((Sentry) => {
    Sentry.initWithoutDefaultIntegrations({
      dsn: settings.dsn,
      ...(settings.environment ? { environment: settings.environment } : {}),
      ...(settings.release ? { release: settings.release } : {}),
      // Error tracking only: no spans, no tracer provider or context manager of Sentry's beside
      // tracing.ts's NodeSDK, no local variables, no request data (reportError attaches what it sends).
      skipOpenTelemetrySetup: true,
      // OpenTelemetry's import-in-the-middle hook (instrument.ts) is the only loader hook.
      registerEsmLoaderHooks: false,
      includeLocalVariables: false,
      sendDefaultPii: false,
      integrations: [
        Sentry.eventFiltersIntegration(),
        Sentry.functionToStringIntegration(),
        Sentry.linkedErrorsIntegration(),
        Sentry.dedupeIntegration(),
        Sentry.nodeContextIntegration(),
        Sentry.contextLinesIntegration(),
        // Process-level errors. With runService's own handlers installed these only capture; runService
        // logs, stops the service (which flushes the events) and exits.
        Sentry.onUncaughtExceptionIntegration(),
        Sentry.onUnhandledRejectionIntegration({ mode: 'none' }),
      ],
      beforeSend,
      // Breadcrumbs come only from the integrations above; scrubbed all the same.
      beforeBreadcrumb: (crumb) => scrubEvent(crumb),
    });
    return Sentry;
  });
  return sdk.then((s) => s !== undefined);
}

/** The service every event names (tags `service` and `version`, default release). */
export function describeService(service: string, version: string): void {
  described = { service, version };
}

export const errorTrackingStarted = (): boolean => sdk !== undefined;

export interface ErrorReportContext {
  requestId?: string | undefined;
  /** The tool being called, for tool calls. */
  tool?: string;
  method?: string | undefined;
  /** The request's path (never its query string). */
  path?: string | undefined;
  /** The caller's name (API key name or token subject), never a credential. */
  principal?: string | undefined;
}

/** Sends an unexpected error (fire and forget); a no-op when error tracking is off. */
export function reportError(err: unknown, context: ErrorReportContext = {}): void {
  if (!sdk) return;
  void sdk.then((Sentry) => {
    Sentry?.captureException(err, {
      tags: {
        ...(context.requestId ? { request_id: context.requestId } : {}),
        ...(context.tool ? { 'mcp.tool': context.tool } : {}),
      },
      ...(context.principal ? { user: { id: context.principal } } : {}),
      ...(context.method || context.path ? { contexts: { request: { method: context.method ?? '', path: context.path ?? '' } } } : {}),
    });
  });
}

/** Waits (at most `timeoutMs`) until queued events are sent: the shutdown registry's last closer. */
export async function flushErrorTracking(timeoutMs = 2_000): Promise<boolean> {
  const Sentry = await sdk;
  return Sentry ? Sentry.flush(timeoutMs) : true;
}
