// docker-compose.yml checked against the apps' real config schemas: the environment each container
// gets (from .env.example, or the same defaults without a .env) parses, every variable is one the app
// reads, ports agree, every service has a healthcheck and waits for what it needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { configSchema as controlCenterSchema, parseControlCenterConfig, parseWorkflowWorkerConfig } from '../../apps/control-center/dist/config.js';
import { githubConfigSchema, parseGithubConfig } from '../../apps/github-mcp/dist/config.js';
import { configSchema as deploySchema, parseDeployConfig } from '../../apps/deploy-mcp/dist/config.js';
import { observabilityConfigSchema, parseObservabilityConfig } from '../../apps/observability-mcp/dist/config.js';
import { memoryConfigSchema, parseMemoryConfig, parseWorkerConfig } from '../../apps/memory/dist/config.js';
import { REPO_ROOT } from './helpers.js';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  restart?: string;
  init?: boolean;
}

const composeText = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;

/** .env.example as a map (what a user gets after `cp .env.example .env`). */
const envExample = new Map(
  readFileSync(join(REPO_ROOT, '.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
);

/** Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, $$ (a literal $). */
function interpolate(value: string, vars: ReadonlyMap<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?:(:?-)([^}]*))?\}/g, (match, name: string | undefined, op: string | undefined, def: string | undefined) => {
    if (match === '$$') return '$';
    const v = vars.get(name ?? '');
    if (op === ':-') return v === undefined || v === '' ? (def ?? '') : v;
    if (op === '-') return v === undefined ? (def ?? '') : v;
    return v ?? '';
  });
}

const referenced = [...composeText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}/g)].map((m) => ({ name: m[1] ?? '', def: m[2] }));

function environmentOf(name: string, vars: ReadonlyMap<string, string>): Record<string, string> {
  const env = services[name]?.environment ?? {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v ?? ''), vars)]));
}

// The app behind each compose service: its schema (to know every variable it reads) and its parser.
const APPS: Record<string, { shape: Record<string, unknown>; parse: (env: Record<string, string>) => { PORT: number; HOST: string; API_KEYS: unknown[] }; portVar: string }> = {
  'control-center': { shape: controlCenterSchema.shape, parse: parseControlCenterConfig, portVar: 'PORT' },
  'github-mcp': { shape: githubConfigSchema.shape, parse: parseGithubConfig, portVar: 'PORT' },
  'deploy-mcp': { shape: deploySchema.shape, parse: parseDeployConfig, portVar: 'PORT' },
  'observability-mcp': { shape: observabilityConfigSchema.shape, parse: parseObservabilityConfig, portVar: 'PORT' },
  memory: { shape: memoryConfigSchema.shape, parse: parseMemoryConfig, portVar: 'PORT' },
  'memory-worker': { shape: memoryConfigSchema.shape, parse: parseWorkerConfig, portVar: 'WORKER_PORT' },
  'workflow-worker': { shape: controlCenterSchema.shape, parse: parseWorkflowWorkerConfig, portVar: 'WORKFLOW_WORKER_PORT' },
};
const APP_PORTS: Record<string, number> = {
  'control-center': 3000,
  'github-mcp': 3001,
  'deploy-mcp': 3002,
  'observability-mcp': 3003,
  memory: 3004,
  'memory-worker': 3005,
  'workflow-worker': 3006,
};
// Read by the AWS SDK itself, not by the app's config.
const SDK_VARIABLES = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);

describe('docker-compose.yml', () => {
  test('runs every app and the memory worker, plus Postgres, Redis and the one-shot migrate', () => {
    expect(Object.keys(services).sort()).toEqual(
      [...Object.keys(APPS), 'control-center-proxy', 'postgres', 'redis', 'migrate', 'prometheus', 'grafana'].sort(),
    );
    for (const name of [...Object.keys(APPS), 'migrate']) {
      // The worker and migrate run the memory image (same build arguments, same tag).
      const app = name === 'memory-worker' || name === 'migrate' ? 'memory' : name === 'workflow-worker' ? 'control-center' : name;
      expect(services[name]?.build).toEqual({ context: '.', dockerfile: 'deploy/Dockerfile', args: { APP: app, PORT: String(APP_PORTS[app]) } });
      expect(services[name]?.image).toBe(`factory/${app}:local`);
      if (name !== 'migrate') expect(services[name]?.init).toBe(true);
    }
    expect(services['memory-worker']?.command).toEqual(['node', '--import', '@factory/base-server/instrument', 'dist/worker.js']);
    expect(services['workflow-worker']?.command).toEqual(['node', '--import', '@factory/base-server/instrument', 'dist/workflow-worker.js']);
    expect(services.migrate?.command).toEqual(['node', 'dist/index.js', 'migrate']);
    expect(services.migrate?.restart).toBe('no');
  });

  test.each([
    ['.env.example values', envExample],
    ['no .env (the compose defaults)', new Map<string, string>()],
  ])("each app's environment parses with the app's own config schema (%s)", (_label, vars) => {
    for (const [name, app] of Object.entries(APPS)) {
      const env = environmentOf(name, vars);
      let config;
      try {
        config = app.parse(env);
      } catch (err) {
        throw new Error(`${name}: ${(err as Error).message}`);
      }
      expect(config.PORT).toBe(APP_PORTS[name]);
      // base-server refuses a non-loopback HOST without keys.
      expect(config.HOST).toBe('0.0.0.0');
      expect(config.API_KEYS.length).toBeGreaterThan(0);
    }
    expect(() => parseMemoryConfig(environmentOf('migrate', vars))).not.toThrow();
  });

  test('sets no variable the app does not read (a typo would be silently ignored)', () => {
    for (const [name, app] of Object.entries(APPS)) {
      const unknown = Object.keys(services[name]?.environment ?? {}).filter((k) => !(k in app.shape) && !SDK_VARIABLES.has(k) && k !== app.portVar);
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });

  test('every ${VARIABLE} is documented in .env.example with the same default', () => {
    for (const { name, def } of referenced) {
      expect({ name, documented: envExample.has(name) }).toEqual({ name, documented: true });
      if (def !== undefined) expect({ name, default: def }).toEqual({ name, default: envExample.get(name) });
    }
    const used = new Set(referenced.map((r) => r.name));
    expect([...envExample.keys()].filter((k) => !used.has(k))).toEqual([]);
  });

  test('ports agree: the published port (for the control center: its proxy), the port the app listens on and its healthcheck URL', () => {
    for (const name of Object.keys(APPS)) {
      const port = APP_PORTS[name];
      expect(services[name === 'control-center' ? 'control-center-proxy' : name]?.ports).toEqual([`127.0.0.1:${port}:${port}`]);
      expect(services[name]?.healthcheck?.test).toEqual(['CMD', 'node', '/app/healthcheck.mjs', `http://127.0.0.1:${port}/health`]);
    }
  });

  test('`--scale control-center=N` works: the control center publishes no host port, and the proxy in front of it finds every replica', () => {
    expect(services['control-center']?.ports).toBeUndefined();
    const proxy = services['control-center-proxy'];
    expect(proxy?.depends_on).toEqual({ 'control-center': { condition: 'service_healthy' } });
    expect((proxy as { volumes?: string[] }).volumes).toEqual(['./deploy/docker/Caddyfile:/etc/caddy/Caddyfile:ro']);
    const caddyfile = readFileSync(join(REPO_ROOT, 'deploy/docker/Caddyfile'), 'utf8');
    // Every replica's A record, refreshed; requests spread over them; a replica whose /health fails is skipped.
    expect(caddyfile).toMatch(/dynamic a control-center 3000 \{\s*refresh \d+s/);
    expect(caddyfile).toContain('lb_policy round_robin');
    expect(caddyfile).toContain('health_uri /health');
    expect(caddyfile).toMatch(/^:3000 \{/m);
    // The other services keep their fixed ports (one replica each locally).
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, host: p.split(':').slice(0, 2).join(':') })));
    expect(new Set(published.map((p) => p.host)).size).toBe(published.length);
  });

  test('every service has a healthcheck; Postgres uses pg_isready and Redis redis-cli ping with noeviction', () => {
    for (const [name, s] of Object.entries(services)) {
      if (name === 'migrate') continue;
      expect({ name, healthcheck: Array.isArray(s.healthcheck?.test) }).toEqual({ name, healthcheck: true });
    }
    expect(services.postgres?.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(services.redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    const redisCommand = services.redis?.command ?? [];
    expect(redisCommand[redisCommand.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
  });

  test('services wait for healthy dependencies, and memory for the migrate job to complete', () => {
    const dependsOn = (name: string) => services[name]?.depends_on ?? {};
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect({ name, dep, condition }).toEqual({ name, dep, condition: dep === 'migrate' ? 'service_completed_successfully' : 'service_healthy' });
      }
    }
    for (const name of ['memory', 'memory-worker']) {
      expect(dependsOn(name)).toMatchObject({ migrate: { condition: 'service_completed_successfully' }, postgres: {}, redis: {} });
    }
    expect(dependsOn('migrate')).toEqual({ postgres: { condition: 'service_healthy' } });
    // The control center comes up after every service it watches.
    for (const name of Object.keys(APPS).filter((n) => n !== 'control-center')) expect(dependsOn('control-center')[name]).toBeDefined();
    // Whoever is given a database or Redis URL waits for that server.
    for (const name of Object.keys(APPS)) {
      const env = environmentOf(name, envExample);
      if (env.DATABASE_URL) expect(dependsOn(name).postgres).toBeDefined();
      if (env.REDIS_URL) expect(dependsOn(name).redis).toBeDefined();
    }
  });

  test("the control center watches each service at its compose name and port, and each app accepts that Host", () => {
    const config = parseControlCenterConfig(environmentOf('control-center', envExample));
    const watched = Object.fromEntries(config.SERVICES.map((s: { name: string; url: string }) => [s.name, new URL(s.url)]));
    expect(Object.keys(watched).sort()).toEqual(Object.keys(APPS).filter((n) => n !== 'control-center').sort());
    for (const [name, url] of Object.entries(watched)) {
      expect(url.hostname).toBe(name);
      expect(Number(url.port)).toBe(APP_PORTS[name]);
    }
    for (const name of Object.keys(APPS)) {
      expect(environmentOf(name, envExample).ALLOWED_HOSTS?.split(',')).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', name]));
    }
    const deploy = parseDeployConfig(environmentOf('deploy-mcp', envExample));
    expect(deploy.OBSERVABILITY_MCP_URL).toBe('http://observability-mcp:3003');
    // The key the control center and deploy-mcp send is one the servers accept.
    const key = environmentOf('control-center', envExample).SERVICES_API_KEY;
    expect(environmentOf('memory', envExample).API_KEYS).toBe(key);
    expect(environmentOf('deploy-mcp', envExample).OBSERVABILITY_MCP_API_KEY).toBe(key);
  });

  test('each app gets its own database, created by the Postgres init script', () => {
    const init = readFileSync(join(REPO_ROOT, 'deploy/postgres/init-databases.sql'), 'utf8');
    const created = [...init.matchAll(/CREATE DATABASE (\w+);/g)].map((m) => m[1]);
    const databases = new Map<string, string>();
    for (const name of [...Object.keys(APPS), 'migrate']) {
      const url = environmentOf(name, envExample).DATABASE_URL;
      if (!url) continue;
      const db = new URL(url).pathname.slice(1);
      expect(created).toContain(db);
      databases.set(name, db);
    }
    expect(databases.get('control-center')).toBe('control_center');
    expect(new Set([databases.get('memory'), databases.get('memory-worker'), databases.get('migrate')])).toEqual(new Set(['memory']));
    expect(databases.get('deploy-mcp')).toBe('deploy_mcp');
  });

  test('Prometheus scrapes every service at its compose name and port', () => {
    const prom = parse(readFileSync(join(REPO_ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[]; authorization: { credentials_file: string } }[];
    };
    const targets = Object.fromEntries(prom.scrape_configs.map((c) => [c.job_name, c.static_configs.flatMap((s) => s.targets)]));
    expect(targets).toEqual(Object.fromEntries(Object.entries(APP_PORTS).map(([name, port]) => [name, [`${name}:${port}`]])));
    for (const c of prom.scrape_configs) {
      expect(c.metrics_path).toBe('/metrics');
      expect(c.authorization.credentials_file).toBe('/etc/prometheus/metrics-token');
    }
    for (const name of Object.keys(APPS)) expect(environmentOf(name, envExample).METRICS_TOKEN?.length).toBeGreaterThanOrEqual(16);
  });
});
