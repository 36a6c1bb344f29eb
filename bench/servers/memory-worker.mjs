// The compression worker (built dist) as a bench target. Reports its port over IPC.
import { createCompressionWorker } from '../../apps/memory/dist/compression/compression-worker.js';
import { parseWorkerConfig } from '../../apps/memory/dist/config.js';
import { answerMemoryProbe } from './memory-probe.mjs';

const config = parseWorkerConfig({ ...process.env, WORKER_PORT: '0', API_KEYS: '' });
const { service } = await createCompressionWorker(config);
const { port } = await service.start();
answerMemoryProbe();
process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
process.send({ port });
