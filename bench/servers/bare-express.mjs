// Baseline: a bare express 5 route returning the same JSON as /health.
import express from 'express';
import { answerMemoryProbe } from './memory-probe.mjs';

const app = express();
app.get('/health', (_req, res) => {
  res.json({ status: 'ok', service: 'bench-svc', version: '1.0.0', timestamp: new Date().toISOString() });
});
const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
answerMemoryProbe();
process.on('SIGTERM', () => server.close(() => process.exit(0)));
