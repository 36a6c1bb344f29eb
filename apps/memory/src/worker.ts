// Entry of the compression worker: /health, /ready, /metrics on WORKER_PORT (default 3005).
import { ConfigError, runService } from '@factory/base-server';
import { loadWorkerConfig } from './config.js';
import { createCompressionWorker } from './compression/compression-worker.js';

try {
  const worker = await createCompressionWorker(loadWorkerConfig());
  await runService(worker.service);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
