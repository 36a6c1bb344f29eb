// Container HEALTHCHECK for slim images (no curl): GET /health, exit 0 only on a 200 whose body says
// {"status":"ok"}. Usage: node healthcheck.mjs [url]; the default URL is http://127.0.0.1:$PORT/health.
import http from 'node:http';

const url = process.argv[2] ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}/health`;
const TIMEOUT_MS = 4_000;

/** @param {string} reason */
const fail = (reason) => {
  process.stderr.write(`unhealthy: ${url}: ${reason}\n`);
  process.exit(1);
};

const req = http.get(url, { timeout: TIMEOUT_MS }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => {
    if (body.length < 4096) body += chunk;
  });
  res.on('end', () => {
    if (res.statusCode !== 200) return fail(`status ${res.statusCode}`);
    try {
      if (JSON.parse(body).status !== 'ok') return fail(`status field is not "ok": ${body.slice(0, 200)}`);
    } catch {
      return fail(`body is not JSON: ${body.slice(0, 200)}`);
    }
    process.exit(0);
  });
});
req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
req.on('error', (err) => fail(err.message));
