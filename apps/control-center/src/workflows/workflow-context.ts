// The pieces of workflows one process needs (the API and the worker build the same ones): the tool
// directory, the queue producer, metrics and the engine.
import type { Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger, Registry } from '@factory/base-server';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import { WorkflowEngine } from './engine.js';
import type { Prepared } from './repository.js';
import { createWorkflowMetrics } from './metrics.js';
import { StepQueue } from './step-queue.js';
import { ToolDirectory } from './tool-directory.js';

export interface Workflows {
  engine: WorkflowEngine;
  directory: ToolDirectory;
  queue: StepQueue | undefined;
}

export function createWorkflows(config: Readonly<Config>, deps: { db: Kysely<Database>; prepared: Prepared; redis: Redis | undefined; logger: Logger; registry: Registry; now?: () => Date }): Workflows {
  const directory = new ToolDirectory({ services: config.SERVICES, sharedApiKey: config.SERVICES_API_KEY, timeoutMs: config.MCP_TIMEOUT_MS, ttlMs: config.WORKFLOW_TOOLS_TTL_MS });
  const queue = deps.redis ? new StepQueue(deps.redis, config.WORKFLOW_QUEUE_PREFIX, deps.logger) : undefined;
  const engine = new WorkflowEngine({
    db: deps.db,
    prepared: deps.prepared,
    queue,
    directory,
    metrics: createWorkflowMetrics(deps.registry, deps.db),
    logger: deps.logger,
    limits: { timeoutMs: config.WORKFLOW_EXPRESSION_TIMEOUT_MS, maxResultChars: config.WORKFLOW_EXPRESSION_MAX_RESULT_CHARS, stackDepth: 200 },
    ...(deps.now ? { now: deps.now } : {}),
  });
  return { engine, directory, queue };
}
