// Entry of the workflow worker: /health, /ready, /metrics on WORKFLOW_WORKER_PORT (default 3006).
import { buildOrExit, packageVersion, runService } from '@factory/base-server';
import { loadWorkflowWorkerConfig } from './config.js';
import { createWorkflowWorker } from './workflows/workflow-worker.js';

const worker = await buildOrExit(() => createWorkflowWorker(loadWorkflowWorkerConfig(), { version: packageVersion(import.meta.url) }));
await runService(worker.service);
