// Logs through pino: JSON lines, or readable lines on a terminal. Secrets are redacted by path; library
// code never writes to the console.
import { createRequire } from 'node:module';
import { pino, type Logger, type DestinationStream, type Level, type LevelWithSilent } from 'pino';

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

/** `auto`: readable lines when the output is a terminal, JSON lines otherwise. */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  service: string;
  version: string;
  level: LevelWithSilent;
  /** LOG_FORMAT (default auto). A `destination` given by the caller is always written JSON. */
  format?: LogFormat;
  /** For tests: where lines go (default stdout). */
  destination?: DestinationStream;
  /** Serving MCP over stdio: stdout carries the protocol, so lines go to stderr. */
  stdio?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const fd = options.stdio ? 2 : 1;
  const format = options.format ?? 'auto';
  const pretty = !options.destination && (format === 'pretty' || (format === 'auto' && (fd === 2 ? process.stderr : process.stdout).isTTY === true));
  return pino(
    {
      level: options.level,
      base: { service: options.service, version: options.version },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // pino-pretty names levels itself from their numbers.
      ...(pretty ? {} : { formatters: { level: (label: string) => ({ level: label }) } }),
    },
    options.destination ?? (pretty ? prettyStream(fd) : options.stdio ? pino.destination(2) : undefined),
  );
}

/** Readable lines (pino-pretty, loaded only when used), written synchronously like pino's own output. */
function prettyStream(fd: 1 | 2): DestinationStream {
  const require = createRequire(import.meta.url);
  const build = require('pino-pretty') as (options: Record<string, unknown>) => DestinationStream;
  return build({
    destination: fd,
    sync: true,
    colorize: (fd === 2 ? process.stderr : process.stdout).isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    // npm start prefixes each line with the service's name already.
    ignore: 'pid,hostname,service,version',
  });
}

/**
 * The level of a request's access-log line: 5xx error, 4xx warn, else info; except the answer MCP's
 * Streamable HTTP transport expects from a stateless server, 405 to `GET /mcp` ("the server MUST
 * either return Content-Type: text/event-stream … or else return HTTP 405", spec 2025-06-18,
 * transports, Listening for Messages from the Server), which every SDK client asks for after
 * connecting: debug.
 */
export function accessLogLevel(method: string | undefined, path: string, statusCode: number): Level {
  if (statusCode === 405 && method === 'GET' && /^\/mcp\/?(\?|$)/.test(path)) return 'debug';
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
}
