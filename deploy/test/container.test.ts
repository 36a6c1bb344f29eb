// What the image runs, checked without a Docker engine: the same `pnpm deploy --prod` the Dockerfile
// runs, into a temporary folder outside the workspace, then the service started from that folder with
// production dependencies only, its migrate command, /health and /ready, the HEALTHCHECK script, and a
// graceful SIGTERM. Representative app: memory (database, migrations, MCP and REST); the other apps
// are built by the same Dockerfile stage with only APP changed.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { API_KEY, cleanEnv, freePort, pollUntil, REPO_ROOT, run, startProcess, waitForHealth, type RunningProcess } from './helpers.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const dockerfile = readFileSync(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8');

/** The `deploy ...` arguments of the Dockerfile's `pnpm --filter=... deploy ... /out` line. */
function dockerfileDeployArgs(): string[] {
  const m = /pnpm --filter="@factory\/\$\{APP\}" (deploy [^\n\\]*?) \/out/.exec(dockerfile);
  if (!m?.[1]) throw new Error('deploy/Dockerfile has no `pnpm --filter="@factory/${APP}" deploy ... /out` line');
  return m[1].split(/\s+/);
}

describe('Dockerfile', () => {
  test('is multi-stage on a slim Node 22+ base, runs as a non-root user under tini, with a node HEALTHCHECK on /health', () => {
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=(22|24)$/m);
    const froms = dockerfile.match(/^FROM .*$/gm) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim AS \w+$/);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(runtime).toMatch(/^HEALTHCHECK .*CMD \["node", "\/app\/healthcheck\.mjs"\]$/m);
    expect(runtime).toContain('COPY deploy/docker/healthcheck.mjs /app/healthcheck.mjs');
    expect(runtime).toMatch(/^CMD \["node", "--import", "@factory\/base-server\/instrument", "dist\/index\.js"\]$/m);
    expect(dockerfileDeployArgs()).toEqual(expect.arrayContaining(['deploy', '--prod']));
    expect(readFileSync(join(REPO_ROOT, 'deploy/docker/healthcheck.mjs'), 'utf8')).toContain('/health');
    // Host builds and installs never enter the build context.
    const ignored = readFileSync(join(REPO_ROOT, 'deploy/Dockerfile.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git', '.env']));
  });
});

describe('the memory image contents (pnpm deploy --prod)', () => {
  let out: string;
  let schema: string;
  let service: RunningProcess | undefined;
  let port: number;
  let env: Record<string, string>;

  beforeAll(async () => {
    out = join(mkdtempSync(join(tmpdir(), 'factory-image-')), 'app');
    const result = await run('pnpm', ['--filter', '@factory/memory', ...dockerfileDeployArgs(), out], {
      cwd: REPO_ROOT,
      // pnpm keeps the caller's store settings (npm_config_*, PNPM_HOME); jest's NODE_OPTIONS stays out.
      env: Object.fromEntries(Object.entries({ ...process.env, CI: 'true' }).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== 'NODE_OPTIONS')),
      timeoutMs: 240_000,
    });
    if (result.code !== 0) throw new Error(`pnpm deploy failed (${result.code}): ${result.stderr.slice(-2000)}${result.stdout.slice(-2000)}`);
    // The Dockerfile copies the health check script next to the app.
    copyFileSync(join(REPO_ROOT, 'deploy/docker/healthcheck.mjs'), join(out, 'healthcheck.mjs'));
    schema = `deploy_image_${randomBytes(4).toString('hex')}`;
    port = await freePort();
    env = cleanEnv({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      API_KEYS: `test:${API_KEY}`,
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
    });
  }, 300_000);

  afterAll(async () => {
    await service?.stop();
    if (schema) {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
    if (out) rmSync(join(out, '..'), { recursive: true, force: true });
  });

  test('holds the built app and its workspace packages, and no development dependency', () => {
    expect(existsSync(join(out, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(out, 'dist/worker.js'))).toBe(true);
    // Workspace packages are copied in, not linked back into the repository.
    expect(realpathSync(join(out, 'node_modules/@factory/base-server')).startsWith(realpathSync(out))).toBe(true);
    expect(existsSync(join(out, 'node_modules/@factory/base-server/dist/index.js'))).toBe(true);
    for (const dev of ['jest', 'typescript', '@jest/globals', '@types/node']) expect(existsSync(join(out, 'node_modules', dev))).toBe(false);
    const store = readdirSync(join(out, 'node_modules/.pnpm'));
    expect(store.filter((d) => /^(jest|typescript|@jest\+|@swc\+|ts-jest|eslint)@/.test(d))).toEqual([]);
  });

  test('`node dist/index.js migrate` (the compose migrate service) applies the migrations and exits 0', async () => {
    const result = await run('node', ['dist/index.js', 'migrate'], { cwd: out, env, timeoutMs: 120_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('migrations applied');
  }, 150_000);

  test('the service starts from the deploy output, answers /health and /ready, and passes the HEALTHCHECK script', async () => {
    // The Dockerfile's CMD, tracing preload included (a no-op without OTEL_EXPORTER_OTLP_ENDPOINT).
    service = startProcess('node', ['--import', '@factory/base-server/instrument', 'dist/index.js'], { cwd: out, env });
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(`${base}/health`, service);

    const health = (await (await fetch(`${base}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', service: 'memory' });
    // /health answers from the first moment; /ready once start-up (migrations) has finished.
    const readyBody = await pollUntil('memory /ready', async () => {
      const res = await fetch(`${base}/ready`);
      const body = (await res.json()) as { ready: boolean; checks: Record<string, { status: string }> };
      return res.status === 200 ? body : undefined;
    });
    expect(readyBody.ready).toBe(true);
    expect(readyBody.checks.database?.status).toBe('ok');

    const check = await run('node', ['healthcheck.mjs'], { cwd: out, env: cleanEnv({ PORT: String(port) }) });
    expect(check.code).toBe(0);
    const explicit = await run('node', ['healthcheck.mjs', `${base}/health`], { cwd: out });
    expect(explicit.code).toBe(0);
  }, 180_000);

  test('SIGTERM (what ECS and docker stop send) stops it gracefully, and the HEALTHCHECK script then fails', async () => {
    if (!service) throw new Error('the service did not start');
    const code = await service.stop();
    expect(code).toBe(0);
    expect(service.output()).toContain('shutting down');
    const check = await run('node', ['healthcheck.mjs', `http://127.0.0.1:${port}/health`], { cwd: out });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('unhealthy');
  }, 60_000);
});
