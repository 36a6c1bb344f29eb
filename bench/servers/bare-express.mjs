// Baseline for a declared REST route: a bare express 5 app with the same bearer auth (hashed keys,
// constant-time compare), JSON body parsing and zod validation as base-server's POST /v1/add.
import { createHash, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import { answerMemoryProbe } from './memory-probe.mjs';

const KEY = createHash('sha256').update(process.env.BENCH_KEY).digest();
const body = z.object({ a: z.number(), b: z.number() });
const app = express();
app.use((req, res, next) => {
  const header = req.headers.authorization ?? '';
  const ok = header.startsWith('Bearer ') && timingSafeEqual(createHash('sha256').update(header.slice(7)).digest(), KEY);
  if (!ok) return res.status(401).json({ error: { type: 'authentication_error', code: 'invalid_api_key', message: 'no' } });
  next();
});
app.use(express.json({ limit: 1_048_576 }));
app.post('/v1/add', (req, res) => {
  const parsed = body.safeParse(req.body);
  if (!parsed.success) return res.status(400).json({ error: { type: 'invalid_request_error', code: 'validation_failed', message: parsed.error.message } });
  res.json({ sum: parsed.data.a + parsed.data.b });
});
const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
answerMemoryProbe();
process.on('SIGTERM', () => server.close(() => process.exit(0)));
