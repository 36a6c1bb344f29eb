// A fleet of simulated Factory services behind one port, one per path prefix (/s/<i>): each answers
// /health and /ready like base-server does. Services listed in HANG (comma-separated indexes) hang:
// HANG_MODE=all never answers anything, HANG_MODE=ready answers /health but never /ready.
import { createServer } from 'node:http';

const hang = new Set((process.env.HANG ?? '').split(',').filter(Boolean).map(Number));
const mode = process.env.HANG_MODE ?? 'all';
const held = new Set();

const server = createServer((req, res) => {
  const m = /^\/s\/(\d+)\/(health|ready)$/.exec(req.url ?? '');
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  const i = Number(m[1]);
  if (hang.has(i) && (mode === 'all' || m[2] === 'ready')) {
    held.add(res);
    res.on('close', () => held.delete(res));
    return;
  }
  const now = new Date().toISOString();
  const body =
    m[2] === 'health'
      ? JSON.stringify({ status: 'ok', service: `svc-${i}`, version: '1.0.0', timestamp: now })
      : JSON.stringify({
          ready: true,
          service: `svc-${i}`,
          version: '1.0.0',
          timestamp: now,
          checks: { database: { status: 'ok', latency_ms: 2 }, queue: { status: 'ok', latency_ms: 1 }, llm: { status: 'ok', latency_ms: 40 } },
          dependencies: { required: ['database'], optional: ['queue', 'llm'] },
        });
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
});
server.keepAliveTimeout = 65_000;
// A deep accept backlog: a sweep opens up to two connections per simulated service at once.
server.listen({ port: 0, host: '127.0.0.1', backlog: 65535 }, () => process.send?.({ port: server.address().port }));
process.on('SIGTERM', () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
