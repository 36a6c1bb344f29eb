// Public API of @factory/base-server.
export { createService, runService, buildOrExit, isStdioMode, type Service, type ServiceOptions, type ServiceContext, type ServiceState } from './service.js';
export {
  baseConfigShape,
  baseConfigSchema,
  databaseTimeoutShape,
  redisTimeoutShape,
  databaseTimeouts,
  parseConfig,
  loadConfig,
  envBoolean,
  envList,
  envInt,
  ConfigError,
  type BaseConfig,
  type ApiKey,
} from './config.js';
export {
  AppError,
  BadRequestError,
  AuthenticationError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  PayloadTooLargeError,
  RateLimitError,
  UpstreamError,
  ServiceUnavailableError,
  toAppError,
  errorEnvelope,
  toolErrorMessage,
  markDependency,
  outageOf,
  dependencyUnavailable,
  type Dependency,
  type ErrorType,
  type ErrorEnvelope,
} from './errors.js';
export { createLogger, accessLogLevel, LOG_FORMATS, REDACT_PATHS, type Logger, type LogFormat } from './logger.js';
export { createMetrics, Registry, Counter, Histogram, Gauge, type ServiceMetrics } from './metrics.js';
export { Readiness, MAX_READY_MS, type ReadinessCheck, type CheckOutcome, type CheckResult, type CheckStatus, type ReadinessBody } from './readiness.js';
export {
  defineTool,
  errorResult,
  ToolRegistry,
  type AnyTool,
  type ToolDefinition,
  type ToolContext,
  type RequiredAnnotations,
  type CallToolResult,
} from './mcp.js';
export { ToolView } from './tool-view.js';
export { RestApi, Reply, reply, type RouteSpec, type ApiRequest } from './rest.js';
export { ShutdownRegistry, type Closer } from './lifecycle.js';
export type { Principal } from './security.js';
export { startTracing, type Tracing, type TracingOptions } from './tracing.js';
export { createDatabase, runMigrations, DEFAULT_DATABASE_TIMEOUTS, type Database, type DatabaseOptions, type PreparedStatement } from './clients/postgres.js';
export { fetchWithOwnSignal, requestsFollowing } from './clients/own-signal-fetch.js';
export { createRedis, redisCheck, closeRedis, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, type RedisRole, type RedisClientOptions } from './clients/redis.js';
export { compositeKey, parseCompositeKey } from './keys.js';
export { packageVersion } from './version.js';
export { drainInBatches, type DrainOptions, type DrainResult } from './batches.js';
export { withDeadline, DeadlineExceeded, boundedAgent, type DeadlineOptions, type BoundedAgentOptions, type Agent, type Dispatcher } from './clients/deadline.js';
export { z } from 'zod';
