// createService: the one way every Factory service starts.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import type { BaseConfig } from './config.js';
import { ConfigError } from './config.js';
import { BadRequestError, NotFoundError } from './errors.js';
import { accessLogLevel, createLogger, type Logger } from './logger.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import { Readiness, type ReadinessCheck } from './readiness.js';
import { createAuthenticator, createHostOriginCheck, isLoopbackHost, SECURITY_HEADERS, type Principal } from './security.js';
import { createKeyRateLimit, createRateLimits, rateLimitRedisUrl } from './rate-limits.js';
import { oauthSettingsOf, protectedResourceMetadata, resourceMetadataUrlOf } from './oauth.js';
import { InsufficientScopeError, createScopeGuard, scopePrefixOf } from './scopes.js';
import { createBrowserSessions } from './sessions.js';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { ToolRegistry, authInfoFor, createMcpEndpoint, serveStdio, type AnyTool } from './mcp.js';
import { answerFastToolCall, fastToolCall } from './mcp-fast-call.js';
import type { ToolView } from './tool-view.js';
import type { Transport } from '@modelcontextprotocol/server';
import { RestApi } from './rest.js';
import { jsonBody, sendError } from './pipeline.js';
import { installCompression } from './compression.js';
import { ShutdownRegistry, type Closer } from './lifecycle.js';
import { startTracing, preloadedTracing } from './tracing.js';
import { describeService, errorTrackingStarted, flushErrorTracking, registerSecretsOf, startErrorTracking } from './error-tracking.js';

export interface ServiceContext {
  app: Express;
  logger: Logger;
  metrics: ServiceMetrics;
}

export interface ServiceOptions {
  name: string;
  version: string;
  description?: string;
  config: BaseConfig;
  checks?: ReadinessCheck[];
  tools?: AnyTool[];
  /** Shown to MCP clients at initialize. */
  instructions?: string;
  /**
   * Declares REST routes (validated by zod, documented at /openapi.json). Runs before the request chain
   * is built, so each route is placed directly in it (public ones before authentication, the rest after
   * body parsing); express handlers of pages go in `pages`.
   */
  routes?: (api: RestApi, ctx: Omit<ServiceContext, 'app'>) => void;
  /** Registers express handlers for pages (HTML, assets) on the app: after the REST routes and POST /mcp, before the 404. */
  pages?: (app: Express, ctx: ServiceContext) => void;
  /** Runs after the port is open and before the service reports ready (migrations, workers). */
  onStart?: () => Promise<void>;
  /** Closers run in order after HTTP has drained. */
  onShutdown?: Closer[];
  logger?: Logger;
  metrics?: ServiceMetrics;
  /** Serving MCP over stdio: logs go to stderr, since stdout carries the protocol. */
  stdio?: boolean;
  /**
   * Lets people in a browser sign in with an API key (GET/POST /login, POST /logout): a signed,
   * HttpOnly, SameSite=Strict session cookie then stands in for the bearer header, and unauthenticated
   * page views are redirected to /login. For services with pages (the control center's dashboard).
   */
  browserLogin?: boolean;
  /** The prefix of this service's scope names (`deploy` → `deploy:read`, `deploy:write`); default: its name less `-mcp`. */
  scopePrefix?: string;
  /** Which tools clients see, when that changes at run time: served over stdio only (see ToolView). */
  toolView?: ToolView;
}

export type ServiceState = 'created' | 'starting' | 'ready' | 'stopping' | 'stopped';

export interface Service extends ServiceContext {
  name: string;
  readiness: Readiness;
  tools: ToolRegistry | undefined;
  shutdown: ShutdownRegistry;
  readonly state: ServiceState;
  /** Listens on config.PORT/HOST (0 picks a free port), runs onStart, then reports ready. */
  start(): Promise<{ port: number; url: string }>;
  /** Readiness flips to 503, the server stops accepting, in-flight requests finish, closers run. */
  stop(): Promise<boolean>;
  /** Serves the MCP tools over stdio instead of HTTP (`transport` replaces stdin/stdout, for tests). */
  serveStdio(transport?: Transport): Promise<void>;
  server: HttpServer | undefined;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * node keeps only the first of several Host headers; a request that carries two is ambiguous (a proxy
 * may have routed on the other one), so it is refused rather than validated against either.
 */
function duplicateHost(rawHeaders: readonly string[]): BadRequestError | undefined {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name?.length === 4 && name.toLowerCase() === 'host') seen++;
  }
  return seen > 1 ? new BadRequestError('duplicate_host', 'The request carries more than one Host header; send exactly one.') : undefined;
}

/**
 * The caller's `x-request-id` when it is one well-formed value (sent twice, it is not: a new id is made),
 * read from rawHeaders so that answering /health never makes node build `req.headers`.
 */
function incomingRequestId(raw: string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 12 || name.toLowerCase() !== 'x-request-id') continue;
    if (found !== undefined) return undefined;
    found = raw[i + 1];
  }
  return found !== undefined && REQUEST_ID.test(found) ? found : undefined;
}

export function createService(options: ServiceOptions): Service {
  const { config, name, version } = options;
  const logger =
    options.logger ??
    createLogger({ service: name, version, level: config.LOG_LEVEL, format: config.LOG_FORMAT, stdio: options.stdio ?? false });
  const metrics = options.metrics ?? createMetrics(name, version);

  const oauth = config.AUTH_DISABLED ? undefined : oauthSettingsOf(config);
  const authOff = config.AUTH_DISABLED || (config.API_KEYS.length === 0 && !oauth);
  if (authOff && !config.AUTH_DISABLED && !isLoopbackHost(config.HOST)) {
    throw new ConfigError(
      `Invalid configuration: API_KEYS: required when HOST is ${config.HOST} (not loopback); set API_KEYS or OAUTH_ISSUER, bind HOST=127.0.0.1, or set AUTH_DISABLED=true`,
    );
  }
  // A bad issuer (not HTTPS outside loopback) stops start-up here, not a client's first request.
  if (oauth) protectedResourceMetadata(oauth, [], name);
  const scopePrefix = options.scopePrefix ?? scopePrefixOf(name);
  const resourceMetadataUrl = oauth ? resourceMetadataUrlOf(oauth.audience) : undefined;
  // Callers may hold different scopes (OAuth tokens, scoped keys): tools/list then differs per caller.
  const scopedCallers = oauth !== undefined || config.API_KEYS.some((k) => k.scopes !== undefined);

  // Per-key and failed-auth limits, shared by the replicas through Redis when the service has one.
  const rateLimits = createRateLimits({
    service: name,
    redisUrl: options.stdio ? undefined : rateLimitRedisUrl(config),
    timeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
    keyPrefix: config.RATE_LIMIT_KEY_PREFIX,
    logger,
    metrics,
  });
  const readiness = new Readiness({
    service: name,
    version,
    checks: [...(options.checks ?? []), ...(rateLimits.check ? [rateLimits.check] : [])],
    defaultTimeoutMs: config.READY_CHECK_TIMEOUT_MS,
    defaultWarnLatencyMs: config.READY_WARN_LATENCY_MS,
    metrics,
  });
  const registry = options.tools
    ? new ToolRegistry({ name, version, ...(options.instructions ? { instructions: options.instructions } : {}) }, options.tools, logger, metrics, {
        scopePrefix,
        perCallerLists: scopedCallers,
        ...(options.toolView ? { view: options.toolView } : {}),
      })
    : undefined;
  // The REST routes, declared before the chain is built so that each is placed in it directly: a request
  // never enters a nested router that cannot answer it (router 2 leaves one through setImmediate).
  const scopeGuard = createScopeGuard(scopePrefix, resourceMetadataUrl);
  const api = new RestApi(scopeGuard);
  options.routes?.(api, { logger, metrics });
  const shutdown = new ShutdownRegistry(logger);
  const healthPrefix = `{"status":"ok","service":${JSON.stringify(name)},"version":${JSON.stringify(version)},"timestamp":"`;
  let state: ServiceState = 'created';
  let server: HttpServer | undefined;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Step 4 of the chain below, as a property of every answer of this app rather than a middleware.
  installCompression(app.response);
  // The request's child logger (req.log), bound to its id: created only if something logs through it,
  // by a getter on the app's request prototype (no per-request property definition).
  const kLog = Symbol('request logger');
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: Request & { [kLog]?: Logger }) {
      return (this[kLog] ??= logger.child({ reqId: this.requestId }));
    },
  });

  // The one request chain. Every answer passes these steps in this order (the only exception, /health,
  // is answered before express by the same `prologue` and `health` functions):
  //  1. request id, security headers, RED metrics and the access-log line;
  //  2. /health and /ready (no auth, no Host check: balancers probe by IP);
  //  3. Host/Origin validation (DNS-rebinding protection);
  //  4. compression of large answers (never of SSE streams; compression.ts, on every answer of the app);
  //  5. /metrics (its own token), the OAuth protected-resource metadata (RFC 9728; 404 with OAuth off)
  //     and public routes (badges);
  //  6. browser sign-in (/login, /logout) where enabled, then authentication (API keys, OAuth access
  //     tokens; failed attempts limited per client address);
  //  7. rate limit per principal; 8. JSON body parsing with size and depth limits;
  //  9. declared REST routes (each checks its scope), POST /mcp (tools/call checked against the tool's
  //     scope: 403 insufficient_scope to step up; then the MCP SDK), pages, /openapi.json;
  // 10. 404, and the error boundary (REST envelope, or a JSON-RPC error body on /mcp).
  const prologue = (req: IncomingMessage & { requestId?: string; log?: Logger }, res: ServerResponse, route: () => string, quiet: boolean) => {
    const started = performance.now();
    const id = incomingRequestId(req.rawHeaders) ?? randomUUID();
    req.requestId = id;
    res.setHeader('x-request-id', id);
    for (const [h, v] of SECURITY_HEADERS) res.setHeader(h, v);
    // Answers carry callers' data (conversation turns, incidents): no shared or browser cache keeps them
    // unless a route says otherwise (badges, static assets set their own Cache-Control).
    res.setHeader('Cache-Control', 'no-store');
    if (state === 'stopping') res.setHeader('Connection', 'close');
    res.once('finish', () => {
      const ms = performance.now() - started;
      metrics.httpDuration.observe({ method: req.method ?? '', route: route(), status: String(res.statusCode) }, ms / 1000);
      if (quiet) return; // /ready is polled constantly; never logged at info
      // The path only: query strings carry search terms and other conversation text, never logged.
      const full = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
      const q = full.indexOf('?');
      const url = q === -1 ? full : full.slice(0, q);
      const level = accessLogLevel(req.method, url, res.statusCode);
      if (logger.isLevelEnabled(level)) {
        const principal = (req as { principal?: Principal }).principal;
        logger[level](
          {
            reqId: id,
            req: { id, method: req.method, url },
            res: { statusCode: res.statusCode },
            responseTime: Math.round(ms),
            ...(principal?.authenticated ? { principal: principal.keyName, ...(principal.clientId ? { client_id: principal.clientId } : {}) } : {}),
          },
          'request completed',
        );
      }
    });
  };

  app.use((req: Request, res: Response, next: NextFunction) => {
    prologue(req, res, () => (req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched'), req.path === '/ready');
    next();
  });

  // /health: constant work, the same security headers and request id as every answer, no metrics or log line.
  // Headers as one flat [name, value, ...] list, and the request id looked up in rawHeaders: node builds
  // `req.headers` on first read and an object spread per answer takes its slow path, which together made
  // a warmed-up /health about 0.6x a bare node:http answer of the same bytes.
  const healthHeaders = SECURITY_HEADERS.flat();
  const health = (req: IncomingMessage, res: ServerResponse) => {
    const body = `${healthPrefix}${new Date().toISOString()}"}`;
    res.writeHead(200, [
      ...healthHeaders,
      'x-request-id',
      incomingRequestId(req.rawHeaders) ?? randomUUID(),
      'Content-Type',
      'application/json; charset=utf-8',
      'Content-Length',
      String(Buffer.byteLength(body)),
      'Cache-Control',
      'no-store',
    ]);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  // Also on the express app, for in-process use of `app` without start().
  app.get('/health', (req, res) => health(req, res));

  app.get('/ready', async (_req, res, next) => {
    try {
      const body =
        state === 'ready' ? await readiness.evaluate() : readiness.notReady(state === 'stopping' || state === 'stopped' ? 'service is shutting down' : 'service is starting');
      res.setHeader('Cache-Control', 'no-store');
      res.status(body.ready && state === 'ready' ? 200 : 503).json(body);
    } catch (err) {
      next(err);
    }
  });

  const hostCheck = createHostOriginCheck(config.ALLOWED_HOSTS, config.ALLOWED_ORIGINS);
  app.use((req, _res, next) => next(duplicateHost(req.rawHeaders) ?? hostCheck(req.headers)));

  const metricsAuth = createAuthenticator(
    config.AUTH_DISABLED ? [] : [...config.API_KEYS, ...(config.METRICS_TOKEN ? [{ name: 'metrics', key: config.METRICS_TOKEN }] : [])],
    name,
  );
  app.get('/metrics', metricsAuth.middleware, async (_req, res, next) => {
    try {
      res.setHeader('Content-Type', metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    } catch (err) {
      next(err);
    }
  });

  // RFC 9728 §3: at the path-aware location of the resource URI, and at the root for clients that try it first.
  let resourceMetadata: string | undefined;
  const wellKnown = ['/.well-known/oauth-protected-resource', ...(resourceMetadataUrl ? [new URL(resourceMetadataUrl).pathname] : [])];
  app.get([...new Set(wellKnown)], (_req, res, next) => {
    if (!oauth) return next(new NotFoundError('oauth_not_configured', 'This server does not accept OAuth access tokens (OAUTH_ISSUER is not set); use an API key.'));
    resourceMetadata ??= JSON.stringify(protectedResourceMetadata(oauth, [...new Set([...(registry?.scopeNames() ?? []), ...api.scopeNames()])].sort(), name));
    // Browser-based clients (the Inspector) read it cross-origin.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('application/json').send(resourceMetadata);
  });

  api.mount(app, 'public');

  const auth = createAuthenticator(config.AUTH_DISABLED ? [] : config.API_KEYS, name, {
    ...(oauth ? { oauth } : {}),
    failures: rateLimits.limiter('auth-failures', config.AUTH_FAILURES_PER_MINUTE),
  });
  const sessions = options.browserLogin && auth.enabled ? createBrowserSessions(config.API_KEYS, auth, name) : undefined;
  const requestLimit = rateLimits.limiter('requests', config.RATE_LIMIT_PER_MINUTE);
  if (sessions) sessions.mount(app);
  app.use(sessions ? sessions.middleware : auth.middleware);
  // With the limit off (RATE_LIMIT_PER_MINUTE=0) there is nothing to take: no step, no promise a request.
  if (requestLimit.perMinute > 0) {
    const rateLimit = createKeyRateLimit(requestLimit);
    app.use((req, res, next) => {
      rateLimit(req.principal, res).then(next, next);
    });
  }
  app.use(jsonBody(config.BODY_LIMIT_BYTES));

  api.mount(app, 'private');

  const isMcpPath = (path: string) => path === '/mcp' || path === '/mcp/';
  const toolCallName = (message: unknown): string | undefined => {
    if (typeof message !== 'object' || message === null) return undefined;
    const m = message as { method?: unknown; params?: { name?: unknown } };
    return m.method === 'tools/call' && typeof m.params?.name === 'string' ? m.params.name : undefined;
  };
  const mcp = registry ? createMcpEndpoint(registry, logger, { maxRequestBodySize: config.BODY_LIMIT_BYTES }) : undefined;
  const fastRequests = metrics.mcpRequests.labels({ path: 'fast' });
  const sdkRequests = metrics.mcpRequests.labels({ path: 'sdk' });
  if (mcp && registry) {
    app.all('/mcp', (req: Request & { auth?: AuthInfo }, res, next) => {
      // A tools/call of a tool the caller's scopes do not grant is refused before the SDK (or the fast
      // path) sees it, with the challenge a client steps up from (MCP authorization, "Scope Challenge Handling").
      for (const message of Array.isArray(req.body) ? (req.body as unknown[]) : [req.body]) {
        const tool = toolCallName(message);
        const missing = tool === undefined ? undefined : registry.missingScope(tool, req.principal);
        if (missing !== undefined && tool !== undefined) return next(new InsufficientScopeError(missing, resourceMetadataUrl, `The tool "${tool}"`));
      }
      const ctx = {
        principal: req.principal ?? { keyName: 'anonymous', authenticated: false },
        requestId: req.requestId ?? randomUUID(),
        // The request's child logger is created on first use only.
        get logger() {
          return req.log;
        },
      };
      const fast = config.MCP_FAST_PATH && req.method === 'POST' ? fastToolCall(registry, req.headers, req.body) : undefined;
      if (!fast) {
        sdkRequests.inc();
        req.auth = authInfoFor(ctx);
        mcp.handle(req, res, req.body).catch(next);
        return;
      }
      fastRequests.inc();
      // A client already gone when the tool asks for its signal gets an aborted one.
      const watch = (abort: () => void) => {
        if (res.destroyed) abort();
        res.once('close', abort);
        return () => res.off('close', abort);
      };
      answerFastToolCall(registry, fast, ctx, watch).then((answer) => {
        if (res.destroyed) return;
        res.writeHead(answer.status, answer.headers).end(answer.body);
      }, next);
    });
  }

  options.pages?.(app, { app, logger, metrics });

  // Routes are all declared by now: the document is built once, on first request.
  let openapi: string | undefined;
  app.get('/openapi.json', (_req, res) => {
    openapi ??= JSON.stringify(api.openapi({ title: name, version, ...(options.description ? { description: options.description } : {}) }));
    res.type('application/json').send(openapi);
  });

  app.use((req, _res, next) => next(new NotFoundError('route_not_found', `No route for ${req.method} ${req.path}.`)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => sendError(req, res, err, req.log ?? logger, mcp !== undefined && isMcpPath(req.path)));

  shutdown.add({
    name: 'http',
    close: () =>
      new Promise<void>((resolve) => {
        if (!server?.listening) return resolve();
        const s = server;
        // close() ends only the keep-alive connections idle right now: one whose request is still in
        // flight stays open after its answer until keepAliveTimeout (65 s), and this closer, and every
        // one after it, would wait for SHUTDOWN_TIMEOUT_MS. Each is closed as soon as it goes idle.
        const idle = setInterval(() => s.closeIdleConnections(), 25);
        idle.unref();
        s.close(() => {
          clearInterval(idle);
          resolve();
        });
        s.closeIdleConnections();
      }),
  });
  if (mcp) shutdown.add({ name: 'mcp', close: () => mcp.close() });
  for (const c of options.onShutdown ?? []) shutdown.add(c);
  shutdown.add({ name: 'rate-limits', close: () => rateLimits.close() });
  // Started by the `instrument` preload (full auto-instrumentation), or here (tool spans and what loads later).
  const tracing =
    preloadedTracing() ??
    (config.OTEL_EXPORTER_OTLP_ENDPOINT ? startTracing({ serviceName: config.OTEL_SERVICE_NAME ?? name, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }) : undefined);
  if (tracing) shutdown.add({ name: 'tracing', close: () => tracing.shutdown() });
  // Error tracking: started by the preload, or here; events sent before the process exits.
  if (config.SENTRY_DSN && !errorTrackingStarted()) {
    const environment = config.SENTRY_ENVIRONMENT ?? config.NODE_ENV;
    void startErrorTracking({ dsn: config.SENTRY_DSN, environment, ...(config.SENTRY_RELEASE ? { release: config.SENTRY_RELEASE } : {}) });
  }
  if (errorTrackingStarted()) {
    describeService(name, version);
    registerSecretsOf(config);
    shutdown.add({ name: 'error-tracking', close: async () => void (await flushErrorTracking()) });
  }

  const service: Service = {
    name,
    app,
    logger,
    metrics,
    readiness,
    tools: registry,
    shutdown,
    get state() {
      return state;
    },
    get server() {
      return server;
    },
    async start() {
      if (state !== 'created') throw new Error(`${name} cannot start from state ${state}`);
      // Any replica may serve any HTTP request: a view held in this process would show a caller different tools per request.
      if (registry?.view) throw new ConfigError(`${name}: tools that change at run time (a tool view) are served over stdio only, not over HTTP`);
      state = 'starting';
      await rateLimits.connect();
      // Liveness is answered before express: constant work, never a dependency, 200 for as long as the
      // process runs (also while shutting down), and no framework cost on the path probes hit most.
      server = createServer((req, res) => {
        const url = req.url ?? '';
        if ((url === '/health' || url.startsWith('/health?')) && (req.method === 'GET' || req.method === 'HEAD')) {
          health(req, res);
          return;
        }
        app(req, res);
      });
      // Above a load balancer's 60 s idle timeout, so the balancer closes idle connections first.
      server.keepAliveTimeout = config.KEEP_ALIVE_TIMEOUT_MS;
      server.headersTimeout = config.KEEP_ALIVE_TIMEOUT_MS + 1_000;
      server.requestTimeout = 5 * 60_000;
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(config.PORT, config.HOST, () => {
          s.off('error', reject);
          resolve();
        });
      });
      const port = (s.address() as AddressInfo).port;
      const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
      if (authOff) {
        logger.warn(
          { host: config.HOST },
          config.AUTH_DISABLED ? 'AUTH IS DISABLED (AUTH_DISABLED=true): every request is accepted' : 'AUTH IS OFF: no API_KEYS or OAUTH_ISSUER configured; serving loopback only',
        );
      }
      try {
        await options.onStart?.();
      } catch (err) {
        logger.fatal({ err }, 'start-up failed');
        await service.stop();
        throw err;
      }
      if ((state as ServiceState) === 'starting') state = 'ready';
      logger.info({ port, host: config.HOST, tools: registry?.tools.size ?? 0 }, `${name} ready`);
      return { port, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}` };
    },
    async stop() {
      if (state === 'stopped') return true;
      state = 'stopping';
      // Keep serving (with /ready at 503) while load balancers notice, then drain and close.
      if (config.SHUTDOWN_DELAY_MS > 0 && server?.listening) await new Promise((r) => setTimeout(r, config.SHUTDOWN_DELAY_MS));
      const ok = await shutdown.run(config.SHUTDOWN_TIMEOUT_MS);
      if (!ok) server?.closeAllConnections();
      state = 'stopped';
      return ok;
    },
    async serveStdio(transport?: Transport) {
      if (!registry) throw new Error(`${name} has no MCP tools to serve`);
      await options.onStart?.();
      state = 'ready';
      const stdioServer = serveStdio(registry, logger, transport);
      shutdown.add({ name: 'mcp-stdio', close: () => stdioServer.close() });
    },
  };
  return service;
}

/**
 * Runs a service as a process: `--stdio` serves MCP over stdio, otherwise HTTP. SIGTERM/SIGINT stop it
 * gracefully; the exit code says whether shutdown finished in time.
 */
export const isStdioMode = (argv: readonly string[] = process.argv): boolean => argv.includes('--stdio');

/**
 * Builds what an entry point runs (config, service, worker). A bad setting — a ConfigError, such as a
 * non-loopback HOST without API_KEYS — stops the process with its one-line message and exit code 1,
 * never a stack trace.
 */
export async function buildOrExit<T>(build: () => T | Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

export async function runService(service: Service, argv: readonly string[] = process.argv): Promise<void> {
  const { logger } = service;
  let stopping = false;
  // A crash (crashed: true) exits 1 even when the shutdown that follows it succeeds.
  const stop = (signal: string, crashed = false) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      (ok) => process.exit(ok && !crashed ? 0 : 1),
      (err: unknown) => {
        logger.fatal({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    stop('uncaughtException', true);
  });
  try {
    if (isStdioMode(argv)) {
      process.stdin.once('end', () => stop('stdin closed'));
      await service.serveStdio();
    } else {
      await service.start();
    }
  } catch (err) {
    logger.fatal({ err: err instanceof ConfigError ? { message: err.message } : err }, 'failed to start');
    process.exit(1);
  }
}
