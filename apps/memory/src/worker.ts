// Entry of the compression worker: /health, /ready, /metrics on WORKER_PORT (default 3005).
import { buildOrExit, runService } from '@factory/base-server';
import { loadWorkerConfig } from './config.js';
import { createCompressionWorker } from './compression/compression-worker.js';

const worker = await buildOrExit(() => createCompressionWorker(loadWorkerConfig()));
await runService(worker.service);
