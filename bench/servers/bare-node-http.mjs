// Baseline for /health: bare node:http answering the same JSON with the same headers base-server sends.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { answerMemoryProbe } from './memory-probe.mjs';

const server = createServer((req, res) => {
  if (req.url !== '/health') {
    res.writeHead(404).end();
    return;
  }
  const body = JSON.stringify({ status: 'ok', service: 'bench-svc', version: '1.0.0', timestamp: new Date().toISOString() });
  res.writeHead(200, {
    'x-request-id': randomUUID(),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
answerMemoryProbe();
process.on('SIGTERM', () => server.close(() => process.exit(0)));
