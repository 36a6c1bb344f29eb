// scripts/health-check.sh and scripts/smoke-test.sh against real services started from their built
// dist (embedded PGlite, no Redis, loopback HOST, API keys on): control-center watching memory
// (required) and github-mcp (optional; given a token for a GitHub host that refuses connections, so it
// is really broken — not merely unconfigured, which the scripts report as skipped), plus the failing cases.
// The Grafana dashboard is checked against the metrics these services really export.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { API_KEY, cleanEnv, freePort, pollUntil, REPO_ROOT, run, startProcess, waitForHealth, type RunningProcess } from './helpers.js';

const started: RunningProcess[] = [];
const urls: Record<string, string> = {};

function startApp(app: string, port: number, extra: Record<string, string> = {}): RunningProcess {
  const proc = startProcess('node', ['dist/index.js'], {
    cwd: join(REPO_ROOT, 'apps', app),
    env: cleanEnv({ NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', API_KEYS: `test:${API_KEY}`, ...extra }),
  });
  started.push(proc);
  urls[app] = `http://127.0.0.1:${port}`;
  return proc;
}

const script = (name: string, args: string[], env: Record<string, string>) =>
  run('bash', [join(REPO_ROOT, 'scripts', name), ...args], { env: cleanEnv({ FACTORY_CURL_TIMEOUT: '20', ...env }), timeoutMs: 240_000 });

const ENDPOINTS = () => ({ CONTROL_CENTER_URL: urls['control-center'] ?? '', MEMORY_URL: urls.memory ?? '', GITHUB_MCP_URL: urls['github-mcp'] ?? '' });

beforeAll(async () => {
  const [memoryPort, githubPort, centerPort] = [await freePort(), await freePort(), await freePort()];
  const memory = startApp('memory', memoryPort);
  const github = startApp('github-mcp', githubPort, { GITHUB_READY_MIN_INTERVAL_MS: '0', GITHUB_TOKEN: 'ghp_0123456789abcdef0123456789abcdef0123', GITHUB_HOST: '127.0.0.1:1' });
  const center = startApp('control-center', centerPort, {
    SERVICES: JSON.stringify([
      { name: 'memory', url: `http://127.0.0.1:${memoryPort}`, required: true, mcp: true },
      { name: 'github-mcp', url: `http://127.0.0.1:${githubPort}`, required: false, mcp: true },
    ]),
    SERVICES_API_KEY: API_KEY,
    POLL_INTERVAL_MS: '500',
  });
  await Promise.all([
    waitForHealth(`${urls.memory}/health`, memory),
    waitForHealth(`${urls['github-mcp']}/health`, github),
    waitForHealth(`${urls['control-center']}/health`, center),
  ]);
  // Ready once start-up (migrations) has finished.
  await pollUntil('memory and control-center ready', async () => {
    const codes = await Promise.all([urls.memory, urls['control-center']].map(async (u) => (await fetch(`${u}/ready`)).status));
    return codes.every((c) => c === 200) ? true : undefined;
  });
}, 240_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
});

describe('scripts/health-check.sh', () => {
  test('passes when every checked service is live and ready and the control center sees the factory available', async () => {
    const result = await script('health-check.sh', ['local', '120'], { ...ENDPOINTS(), FACTORY_SERVICES: 'control-center memory', FACTORY_API_KEY: API_KEY });
    expect(result.stdout).toContain('all checks passed (local)');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ok   memory /health');
    expect(result.stdout).toContain('ok   memory /ready');
    expect(result.stdout).toContain('ok   control-center /ready');
    expect(result.stdout).toMatch(/ok {3}control-center \/api\/mcp\/health: 2 services, [12] ready/);
  }, 240_000);

  test('fails, naming the dependency, when a service is live but not ready', async () => {
    const result = await script('health-check.sh', ['local', '0'], { ...ENDPOINTS(), FACTORY_SERVICES: 'memory github-mcp', FACTORY_API_KEY: API_KEY });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('ok   github-mcp /health');
    expect(result.stdout).toMatch(/FAIL github-mcp \/ready: HTTP 503, "ready" is false: .*authentication check failed/);
    expect(result.stdout).toContain('ok   memory /ready');
    expect(result.stderr).toContain('1 check(s) failed (local, attempt 1)');
  }, 120_000);

  test('fails when a service does not answer, after retrying for the wait time', async () => {
    const closed = await freePort();
    const result = await script('health-check.sh', ['local', '10'], { MEMORY_URL: `http://127.0.0.1:${closed}`, FACTORY_SERVICES: 'memory' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL memory /health: HTTP 000');
    expect(result.stdout).toContain('FAIL memory /ready: unreachable');
    expect(result.stderr).toMatch(/2 check\(s\) failed \(local, attempt [2-9]\)/);
  }, 120_000);

  test("fails on the control center's aggregate without an API key", async () => {
    const result = await script('health-check.sh', ['local', '0'], { ...ENDPOINTS(), FACTORY_SERVICES: 'control-center' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('ok   control-center /ready');
    expect(result.stdout).toContain('FAIL control-center /api/mcp/health: HTTP 401, set FACTORY_API_KEY');
  }, 120_000);

  test('rejects a bad target, and a remote target without a URL, with exit code 2', async () => {
    const bad = await script('health-check.sh', ['nowhere'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown target "nowhere"');
    const staging = await script('health-check.sh', ['staging'], {});
    expect(staging.code).toBe(2);
    expect(staging.stderr).toContain('set FACTORY_STAGING_URL');
  });
});

describe('scripts/smoke-test.sh', () => {
  test('passes: health, then initialize and tools/list on each MCP server with the key, and 401 without it', async () => {
    const result = await script('smoke-test.sh', ['local', '60'], {
      ...ENDPOINTS(),
      FACTORY_SERVICES: 'control-center memory',
      FACTORY_API_KEY: API_KEY,
      FACTORY_EXPECT_AUTH: 'true',
    });
    expect(result.stdout).toContain('smoke test passed (local)');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ok {3}memory initialize: protocol \S+/);
    expect(result.stdout).toMatch(/ok {3}memory tools\/list: [1-9]\d* tools/);
    expect(result.stdout).toContain('ok   memory refuses /mcp without an API key');
  }, 240_000);

  test('fails when the MCP server refuses the key', async () => {
    const result = await script('smoke-test.sh', ['local', '0'], { ...ENDPOINTS(), FACTORY_SERVICES: 'memory', FACTORY_API_KEY: 'wrong-key-0123456789abcdef' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('ok   memory /ready');
    expect(result.stdout).toContain('FAIL memory initialize: HTTP 401');
    expect(result.stderr).toContain('smoke check(s) failed (local)');
  }, 120_000);

  test('stops at a failing health check', async () => {
    const result = await script('smoke-test.sh', ['local', '0'], { ...ENDPOINTS(), FACTORY_SERVICES: 'github-mcp', FACTORY_API_KEY: API_KEY });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL github-mcp /ready');
    expect(result.stdout).not.toContain('initialize');
  }, 120_000);
});

describe('deploy/grafana/dashboards/factory.json', () => {
  const PROMQL_WORDS = new Set(['sum', 'max', 'min', 'count', 'by', 'without', 'rate', 'histogram_quantile', 'le', 'app', 'service', 'dependency', 'tool', 'outcome', 'status', 'state', 'provider', 'direction', 'kind']);

  test('queries only metrics the services export, on the provisioned Prometheus datasource', async () => {
    const exported = new Map<string, string>();
    for (const app of ['control-center', 'memory', 'github-mcp']) {
      const res = await fetch(`${urls[app]}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(res.status).toBe(200);
      for (const m of (await res.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) exported.set(m[1] ?? '', m[2] ?? '');
    }
    const known = (name: string) => {
      if (exported.has(name)) return true;
      const base = name.replace(/_(bucket|count|sum)$/, '');
      return base !== name && exported.get(base) === 'histogram';
    };

    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/grafana/dashboards/factory.json'), 'utf8')) as {
      uid: string;
      panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
      templating: { list: { name: string; query: { query: string } }[] };
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(15);
    const names = new Set<string>();
    for (const expr of [...exprs, ...dashboard.templating.list.map((v) => v.query.query)]) {
      const bare = expr.replace(/"[^"]*"/g, '').replace(/\[[^\]]*\]/g, '').replace(/label_values\(([a-z_]+), [a-z_]+\)/, '$1');
      for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) if (!PROMQL_WORDS.has(m[0])) names.add(m[0]);
    }
    expect([...names].filter((n) => !known(n))).toEqual([]);
    for (const metric of ['factory_availability', 'service_ready', 'http_request_duration_seconds_bucket', 'mcp_tool_calls_total', 'readiness_check_status', 'memory_compression_jobs_total']) {
      expect(names).toContain(metric);
    }
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) expect(p.datasource?.uid).toBe('prometheus');
    const datasource = readFileSync(join(REPO_ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    expect(datasource).toContain('uid: prometheus');
    expect(datasource).toContain('url: http://prometheus:9090');
  });
});
