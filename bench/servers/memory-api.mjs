// The memory API (built dist) as a bench target; settings come from the environment. Reports its port over IPC.
import { createMemoryService } from '../../apps/memory/dist/app.js';
import { parseMemoryConfig } from '../../apps/memory/dist/config.js';
import { answerMemoryProbe } from './memory-probe.mjs';

const config = parseMemoryConfig({ ...process.env, PORT: '0', RATE_LIMIT_PER_MINUTE: '0', API_KEYS: '', BODY_LIMIT_BYTES: '8388608' });
const { service } = await createMemoryService(config);
const { port } = await service.start();
answerMemoryProbe();
process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
process.send({ port });
