// Shared bench harness: servers run in child processes (so the load generator does not share their
// event loop), load comes from autocannon, and every figure is printed next to a baseline measured in
// the same run, as a ratio, because this machine is noisy.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

/** Starts `bench/servers/<file>` with args; resolves with { port, child, memory(), stop() } once it reports its port. */
export function startServer(file, args = [], env = {}) {
  const child = fork(fileURLToPath(new URL(`../servers/${file}`, import.meta.url)), args, {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    child.once('message', (msg) => {
      resolve({
        port: msg.port,
        child,
        /** { rss, heapUsed } in bytes, right after a full GC in the server. */
        memory: () =>
          new Promise((res) => {
            child.once('message', res);
            child.send('memory');
          }),
        stop: () =>
          new Promise((res) => {
            child.removeAllListeners('exit');
            child.once('exit', () => res());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Runs autocannon; returns requests/s and latency percentiles in ms. Non-2xx answers fail the bench. */
export async function load({ url, method = 'GET', headers = {}, body, connections = 10, duration, amount }) {
  const result = await autocannon({ url, method, headers, body, connections, pipelining: 1, ...(amount ? { amount } : { duration: duration ?? 5 }) });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${url}: ${bad} failed requests of ${result.requests.total}`);
  return { rps: result.requests.average, total: result.requests.total, p50: result.latency.p50, p99: result.latency.p99 };
}

export const fmt = (n, digits = 0) => Number(n).toFixed(digits);

export function row(label, value, baselineLabel, baseline, unit = 'req/s', digits = 0) {
  const ratio = value / baseline;
  return `${label.padEnd(46)} ${fmt(value, digits).padStart(9)} ${unit}   vs ${baselineLabel}: ${fmt(baseline, digits).padStart(9)} ${unit}   ratio ${ratio.toFixed(2)}x`;
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

/**
 * The `tools/call add {a: 2, b: 3}` request of each protocol era (headers without credentials, body),
 * the one trivial call the base-server and OAuth benches load servers with.
 */
const JSON_ACCEPT = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
export const ADD_CALL = {
  '2025-11-25': {
    headers: { ...JSON_ACCEPT, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } }),
  },
  '2026-07-28': {
    headers: { ...JSON_ACCEPT, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'add' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'add',
        arguments: { a: 2, b: 3 },
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }),
  },
};

/**
 * Measures `a` and `b` in alternating rounds so drift on a noisy machine hits both alike, and
 * returns the median round of each (by req/s) plus the worst p99 seen.
 */
export async function compare(a, b, { rounds = 4, seconds = 3 } = {}) {
  await load({ ...a, duration: 1 });
  await load({ ...b, duration: 1 });
  const ra = [];
  const rb = [];
  for (let i = 0; i < rounds; i++) {
    ra.push(await load({ ...a, duration: seconds }));
    rb.push(await load({ ...b, duration: seconds }));
  }
  const median = (xs) => [...xs].sort((x, y) => x.rps - y.rps)[Math.floor(xs.length / 2)];
  const p99 = (xs) => [...xs].map((x) => x.p99).sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { a: { ...median(ra), p99: p99(ra) }, b: { ...median(rb), p99: p99(rb) } };
}

/** Memory a server keeps across `run()`, as text: RSS and live heap, each read right after a full GC. */
export async function memoryKept(srv, run) {
  const before = await srv.memory();
  await run();
  const after = await srv.memory();
  const mb = (b) => fmt(b / 1048576, 1);
  const pct = (a, b) => fmt(((b - a) / a) * 100, 1);
  return `RSS ${mb(before.rss)} -> ${mb(after.rss)} MB (${pct(before.rss, after.rss)} %), heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB (${pct(before.heapUsed, after.heapUsed)} %)`;
}
