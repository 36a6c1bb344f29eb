// Configuration: one zod schema per service, parsed once at start-up, frozen.
// This module (and each app's own config.ts) is the only place that reads process.env.
import { z } from 'zod';
import { LOG_FORMATS } from './logger.js';

/** Parses an environment boolean strictly: "true/1/yes/on" and "false/0/no/off"; anything else is an error. */
export const envBoolean = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? defaultValue : ['true', '1', 'yes', 'on'].includes(v)));

/** A comma-separated list; blanks are dropped. */
export const envList = (defaultValue: string[] = []) =>
  z
    .string()
    .optional()
    .transform((v) =>
      v === undefined || v.trim() === ''
        ? defaultValue
        : v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
    );

/** An integer with bounds, from a string. */
export const envInt = (defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return defaultValue;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * An API key entry: `KEY`, `name:KEY`, or `name:KEY:scope+scope` (scopes such as `deploy:read`). Names
 * identify the caller in logs, rate limits and audit records; the key itself is never logged. A key
 * without scopes has full access (`scopes` undefined).
 */
export interface ApiKey {
  name: string;
  key: string;
  scopes?: readonly string[];
}

/** An OAuth scope token as RFC 6749 §3.3 defines it (`scope-token = 1*NQCHAR`), without spaces or quotes. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const apiKeys = z
  .string()
  .optional()
  .transform((v, ctx): ApiKey[] => {
    if (!v || v.trim() === '') return [];
    const out: ApiKey[] = [];
    for (const [i, raw] of v.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
      const sep = raw.indexOf(':');
      const name = sep > 0 ? raw.slice(0, sep) : `key${i + 1}`;
      const rest = sep > 0 ? raw.slice(sep + 1) : raw;
      // Scopes contain ':' themselves (deploy:read), so the key ends at the first ':' after the name.
      const keyEnd = sep > 0 ? rest.indexOf(':') : -1;
      const key = keyEnd === -1 ? rest : rest.slice(0, keyEnd);
      if (key.length < 16) {
        ctx.addIssue({ code: 'custom', message: `key "${name}" is shorter than 16 characters` });
        return z.NEVER;
      }
      if (keyEnd === -1) {
        out.push({ name, key });
        continue;
      }
      const scopes = rest.slice(keyEnd + 1).split('+').map((s) => s.trim());
      const bad = scopes.find((s) => !SCOPE_TOKEN.test(s));
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `key "${name}" has an invalid scope "${bad}"; write scopes as name:key:deploy:read+github:read` });
        return z.NEVER;
      }
      out.push({ name, key, scopes });
    }
    return out;
  });

const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
  .pipe(z.url().optional());

/**
 * OAuth 2.1 resource-server settings (the MCP authorization spec): off unless OAUTH_ISSUER is set, and
 * then OAUTH_AUDIENCE, this server's resource URI (RFC 8707), is required too (checked by createService).
 */
function oauthConfigShape() {
  return {
    /** The authorization server's issuer identifier; tokens must carry it as `iss`. */
    OAUTH_ISSUER: optionalUrl,
    /** This server's resource URI, e.g. https://deploy.example.com/mcp; tokens must carry it in `aud`. */
    OAUTH_AUDIENCE: optionalUrl,
    /** Where the issuer's signing keys are; default: `jwks_uri` of the issuer's metadata. */
    OAUTH_JWKS_URL: optionalUrl,
    /** RFC 7662 introspection endpoint for opaque (non-JWT) access tokens; unset: only JWTs are accepted. */
    OAUTH_INTROSPECTION_URL: optionalUrl,
    OAUTH_INTROSPECTION_CLIENT_ID: z.string().min(1).optional(),
    OAUTH_INTROSPECTION_CLIENT_SECRET: z.string().min(1).optional(),
    /** The token claim holding the scopes: a space-separated string or an array (`scope`, Entra/Okta `scp`). */
    OAUTH_SCOPE_CLAIM: z.string().min(1).default('scope'),
    /** How far `exp`/`nbf`/`iat` may be off from this server's clock. */
    OAUTH_CLOCK_SKEW_SECONDS: envInt(30, 0, 300),
    /** Time bound of each call to the authorization server (metadata, JWKS, introspection). */
    OAUTH_TIMEOUT_MS: envInt(3_000, 100, 30_000),
    /** After fetching the JWKS, how long an unknown `kid` waits before it may trigger another fetch. */
    OAUTH_JWKS_COOLDOWN_MS: envInt(30_000, 0, 600_000),
    /** Verified JWTs remembered per replica (until `exp`, at most 60 s), so a repeated token skips its signature check; 0: none. */
    OAUTH_TOKEN_CACHE_SIZE: envInt(10_000, 0, 1_000_000),
  };
}

/**
 * Optional error tracking (Sentry): off unless SENTRY_DSN is set. Read by the `instrument` preload
 * (readErrorTrackingSettings) and by createService, which starts it when no preload did.
 */
function errorTrackingConfigShape() {
  return {
    /** The Sentry project's DSN; unexpected errors (5xx that are bugs, process crashes) are sent there. */
    SENTRY_DSN: optionalUrl,
    /** Sentry's `environment` of every event; default: NODE_ENV. */
    SENTRY_ENVIRONMENT: z.string().min(1).max(64).optional(),
    /** Sentry's `release` of every event; default: `<service>@<version>`. */
    SENTRY_RELEASE: z.string().min(1).max(200).optional(),
  };
}

/** The settings every service shares. Apps extend this object schema with their own keys. */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: envInt(3000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_FORMAT: z.enum(LOG_FORMATS).default('auto'),
  API_KEYS: apiKeys,
  AUTH_DISABLED: envBoolean(false),
  METRICS_TOKEN: z.string().min(16).optional(),
  ALLOWED_HOSTS: envList([]),
  ALLOWED_ORIGINS: envList([]),
  RATE_LIMIT_PER_MINUTE: envInt(600, 0),
  /**
   * Redis through which the replicas of a service share their rate limits; default: the service's own
   * REDIS_URL where it has one. Unset (and no REDIS_URL): limits hold per replica, in memory.
   */
  RATE_LIMIT_REDIS_URL: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
    .pipe(z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional()),
  /** Longest wait for Redis on one request's limit before the replica's own limiter decides. */
  RATE_LIMIT_REDIS_TIMEOUT_MS: envInt(250, 10, 5_000),
  /** Prefix of the rate-limit keys in Redis (replicas of one deployment must share it). */
  RATE_LIMIT_KEY_PREFIX: z.string().default('factory:rate-limit:'),
  BODY_LIMIT_BYTES: envInt(1_048_576, 1024),
  /** Answer plain tools/call requests without a per-request SDK server (byte-equal to the SDK's answer). */
  MCP_FAST_PATH: envBoolean(true),
  SHUTDOWN_TIMEOUT_MS: envInt(10_000, 100),
  SHUTDOWN_DELAY_MS: envInt(0, 0, 60_000),
  READY_CHECK_TIMEOUT_MS: envInt(3_000, 50, 5_000),
  READY_WARN_LATENCY_MS: envInt(1_000, 1),
  KEEP_ALIVE_TIMEOUT_MS: envInt(65_000, 1_000),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
  /** Failed authentication attempts allowed per client address a minute (0: unlimited). */
  AUTH_FAILURES_PER_MINUTE: envInt(30, 0),
  ...oauthConfigShape(),
  ...errorTrackingConfigShape(),
};

export const baseConfigSchema = z.object(baseConfigShape);

/**
 * Client-side time bounds of a service's Postgres (spread into the schema of a service that has one and
 * passed to createDatabase with `databaseTimeouts(config)`): how long a query, and getting a connection
 * (opening one, or waiting for a free one in an exhausted pool), may take before the request fails with 503.
 */
export const databaseTimeoutShape = {
  DATABASE_QUERY_TIMEOUT_MS: envInt(10_000, 50, 600_000),
  DATABASE_CONNECT_TIMEOUT_MS: envInt(5_000, 50, 600_000),
};

/** How long a service's Redis client waits for one command's answer (createRedis `commandTimeoutMs`). */
export const redisTimeoutShape = {
  REDIS_COMMAND_TIMEOUT_MS: envInt(2_000, 10, 600_000),
};

export const databaseTimeouts = (config: { DATABASE_QUERY_TIMEOUT_MS: number; DATABASE_CONNECT_TIMEOUT_MS: number }) => ({
  queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
  connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
});
export type BaseConfig = z.infer<typeof baseConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Formats the first zod issue as one line naming the variable and what is expected. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid configuration';
  const variable = issue.path.join('.') || '(root)';
  return `${variable}: ${issue.message}`;
}

/** Parses and freezes configuration; throws ConfigError with one line naming the bad variable. */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (!result.success) throw new ConfigError(`Invalid configuration: ${describeIssue(result.error)}`);
  return Object.freeze(result.data);
}

/**
 * Parses configuration from the environment for an entry point. On a bad setting it writes one
 * line to stderr and exits with status 1: there is nothing sensible a service can do without config.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): Readonly<z.infer<S>> {
  try {
    return parseConfig(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** OpenTelemetry settings, read by the `instrument` preload before anything else is imported. */
export function readTelemetrySettings(env: Record<string, string | undefined> = process.env): { endpoint?: string; serviceName?: string } {
  const parsed = z.object({ OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(), OTEL_SERVICE_NAME: z.string().optional() }).safeParse(env);
  if (!parsed.success) return {};
  return {
    ...(parsed.data.OTEL_EXPORTER_OTLP_ENDPOINT ? { endpoint: parsed.data.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
    ...(parsed.data.OTEL_SERVICE_NAME ? { serviceName: parsed.data.OTEL_SERVICE_NAME } : {}),
  };
}

export interface ErrorTrackingSettings {
  dsn: string;
  environment?: string;
  release?: string;
}

/** Error-tracking settings, read by the `instrument` preload; undefined when SENTRY_DSN is unset or not valid. */
export function readErrorTrackingSettings(env: Record<string, string | undefined> = process.env): ErrorTrackingSettings | undefined {
  const parsed = z.object({ ...errorTrackingConfigShape(), NODE_ENV: z.string().optional() }).safeParse(env);
  if (!parsed.success || !parsed.data.SENTRY_DSN) return undefined;
  const environment = parsed.data.SENTRY_ENVIRONMENT ?? parsed.data.NODE_ENV;
  return {
    dsn: parsed.data.SENTRY_DSN,
    ...(environment ? { environment } : {}),
    ...(parsed.data.SENTRY_RELEASE ? { release: parsed.data.SENTRY_RELEASE } : {}),
  };
}
