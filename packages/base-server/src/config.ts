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
 * An API key entry: `KEY` or `name:KEY`. Names identify the caller in logs, rate limits and audit records;
 * the key itself is never logged.
 */
export interface ApiKey {
  name: string;
  key: string;
}

const apiKeys = z
  .string()
  .optional()
  .transform((v, ctx): ApiKey[] => {
    if (!v || v.trim() === '') return [];
    const out: ApiKey[] = [];
    for (const [i, raw] of v.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
      const sep = raw.indexOf(':');
      const name = sep > 0 ? raw.slice(0, sep) : `key${i + 1}`;
      const key = sep > 0 ? raw.slice(sep + 1) : raw;
      if (key.length < 16) {
        ctx.addIssue({ code: 'custom', message: `key "${name}" is shorter than 16 characters` });
        return z.NEVER;
      }
      out.push({ name, key });
    }
    return out;
  });

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
