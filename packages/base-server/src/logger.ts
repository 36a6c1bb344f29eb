// JSON logs through pino. Secrets are redacted by path; library code never writes to the console.
import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** Paths redacted from every log line: credentials in headers, bodies and configuration. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  'password',
  'token',
  'apiKey',
  'api_key',
  'secret',
  'privateKey',
  '*.password',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.secret',
  '*.privateKey',
  '*.API_KEYS',
  '*.METRICS_TOKEN',
  '*.DATABASE_URL',
  '*.REDIS_URL',
];

export interface LoggerOptions {
  service: string;
  version: string;
  level: LevelWithSilent;
  /** For tests: where lines go (default stdout). */
  destination?: DestinationStream;
  /** Serving MCP over stdio: stdout carries the protocol, so lines go to stderr. */
  stdio?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, version: options.version },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? (options.stdio ? pino.destination(2) : undefined),
  );
}
