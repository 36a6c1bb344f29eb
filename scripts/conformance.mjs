// The official MCP conformance suite (@modelcontextprotocol/conformance) against every Factory MCP
// server, for each spec version, judged against conformance/expected-failures.yml.
//
//   node scripts/conformance.mjs [--spec-version V]... [--app NAME]... [--out DIR] [--verbose]
//   node scripts/conformance.mjs --url http://127.0.0.1:3950/mcp [--name NAME] [--spec-version V]...
//
// - The suite needs Node >= 22; the apps run on Node 20. So the suite and a Node 22 binary (the `node`
//   npm package) are installed into conformance/node_modules (npm ci, pinned by
//   conformance/package-lock.json) and used for the suite only; the apps run on the Node running this.
// - Without --url it starts the built `dist/` entry point of every MCP app (github-mcp, deploy-mcp,
//   observability-mcp, memory) as `npm start` does (scripts/local-services.mjs): loopback, a free port
//   each, no API keys (none of the caller's environment), a local Postgres database per app
//   (factory_<app>_conformance) or embedded PGlite.
// - Every server scenario of the suite at each spec version (`--suite all --spec-version V`) runs
//   against each server's /mcp; each scenario × server × spec version is one test. It fails when a
//   check fails that the baseline does not expect, or when an expected failure passes.
// - Spec versions: --spec-version (repeatable), else CONFORMANCE_SPEC_VERSIONS (space separated),
//   else 2025-11-25 and 2026-07-28.
// - Writes DIR/results.json ({ passed, failed, expected }) for .ci/run, the suite's checks.json per
//   scenario and each app's log under DIR (default test-artifacts/conformance). Ends with one line
//   `conformance: N passed, N failed (...)`; exits 1 on a failure, 2 on bad usage.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { judgeScenario, parseBaseline, entryFor, unusedEntries } from './conformance-baseline.mjs';
import { localDatabases, reachable, root, serviceEnv, SERVICES, spawnService } from './local-services.mjs';

const SPEC_VERSIONS = ['2025-11-25', '2026-07-28'];
const runnerDir = join(root, 'conformance');
const log = (m) => console.log(`conformance: ${m}`);

function usage(message) {
  console.error(`conformance: ${message}`);
  console.error('usage: node scripts/conformance.mjs [--url URL [--name NAME]] [--app NAME]... [--spec-version V]... [--expected-failures FILE] [--out DIR] [--timeout MS] [--verbose]');
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      url: { type: 'string' },
      name: { type: 'string' },
      app: { type: 'string', multiple: true },
      'spec-version': { type: 'string', multiple: true },
      'expected-failures': { type: 'string', default: join(runnerDir, 'expected-failures.yml') },
      out: { type: 'string', default: join(root, 'test-artifacts', 'conformance') },
      timeout: { type: 'string', default: '10000' },
      verbose: { type: 'boolean', default: false },
    },
  }).values;
} catch (err) {
  usage(err.message);
}
const mcpApps = SERVICES.filter((s) => s.mcp);
const specVersions = args['spec-version'] ?? (process.env.CONFORMANCE_SPEC_VERSIONS?.split(/\s+/).filter(Boolean) || SPEC_VERSIONS);
for (const v of specVersions) if (!SPEC_VERSIONS.includes(v)) usage(`unknown spec version ${v} (known: ${SPEC_VERSIONS.join(', ')})`);
for (const a of args.app ?? []) if (!mcpApps.some((s) => s.name === a)) usage(`unknown app ${a} (MCP apps: ${mcpApps.map((s) => s.name).join(', ')})`);
if (args.url && args.app) usage('--url and --app exclude each other');
if (!/^\d+$/.test(args.timeout)) usage('--timeout takes milliseconds');
const outDir = resolve(args.out);

/** Installs the suite and Node 22 into conformance/node_modules unless the lockfile's install is there. */
function ensureRunner() {
  const installed = join(runnerDir, 'node_modules', '.package-lock.json');
  const lock = join(runnerDir, 'package-lock.json');
  if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
    log('installing the suite and Node 22 (npm ci --prefix conformance)');
    const r = spawnSync('npm', ['ci', '--prefix', runnerDir, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm ci --prefix conformance failed');
  }
  const node = join(runnerDir, 'node_modules', 'node', 'bin', 'node');
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (!version?.startsWith('v22.')) throw new Error(`${node} is not Node 22 (${version ?? 'missing'}); remove conformance/node_modules and retry`);
  const cli = join(runnerDir, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
  const cliVersion = JSON.parse(readFileSync(join(runnerDir, 'node_modules', '@modelcontextprotocol', 'conformance', 'package.json'), 'utf8')).version;
  return { node, cli, label: `@modelcontextprotocol/conformance ${cliVersion} on Node ${version}` };
}

const freePort = () =>
  new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });

async function waitHealthy(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** Starts the MCP apps; resolves the targets and a stop function. */
async function startApps(names) {
  const apps = mcpApps.filter((s) => !names || names.includes(s.name));
  const missing = apps.filter((s) => !existsSync(join(root, s.entry)));
  if (missing.length) throw new Error(`not built: ${missing.map((s) => s.entry).join(', ')} (run pnpm build)`);
  const suffix = (name) => `${name}_conformance`;
  const databases = await localDatabases([...new Set(apps.map((s) => s.database).filter(Boolean))].map(suffix), log);
  const databaseFor = databases && ((name) => databases(suffix(name)));
  const redisUrl = process.env.REDIS_URL || ((await reachable(6379)) ? 'redis://127.0.0.1:6379' : undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'factory-conformance-'));
  log(`apps on Postgres ${databaseFor ? 'local (factory_*_conformance)' : 'embedded PGlite'}, Redis ${redisUrl ?? 'none'}, no API keys`);

  const children = [];
  const stop = async () => {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map(({ child }) => (child.exitCode !== null ? undefined : new Promise((r) => child.once('exit', r)))));
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const targets = [];
    for (const s of apps) {
      const port = await freePort();
      // Nothing of the caller's environment but PATH and HOME: no API keys, no credentials, no NODE_OPTIONS.
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), ...serviceEnv(s, { port, databaseFor, redisUrl, dataDir }) };
      const child = spawnService(s, env);
      const logFile = join(outDir, `${s.name}.log`);
      const out = createWriteStream(logFile);
      child.stdout.pipe(out);
      child.stderr.pipe(out);
      children.push({ child, s, logFile, base: `http://127.0.0.1:${port}` });
      targets.push({ name: s.name, url: `http://127.0.0.1:${port}/mcp` });
    }
    for (const { child, s, logFile, base } of children) {
      if (!(await waitHealthy(`${base}/health`, child))) {
        const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-10).join('\n') : '';
        throw new Error(`${s.name} did not answer /health (log ${logFile}):\n${tail}`);
      }
    }
    return { targets, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The server scenarios the suite runs at `specVersion` with `--suite all`, from its `list` command. */
function scenariosAt(runner, specVersion) {
  const r = spawnSync(runner.node, [runner.cli, 'list', '--server', '--spec-version', specVersion], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`conformance list failed: ${r.stderr}`);
  const names = [...r.stdout.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]);
  if (names.length === 0) throw new Error(`conformance list named no server scenario at ${specVersion}`);
  return names;
}

/** Runs the suite once against one server at one spec version; resolves each scenario's checks. */
function runSuite(runner, target, specVersion) {
  const dir = join(outDir, target.name, specVersion);
  mkdirSync(dir, { recursive: true });
  const cliArgs = [runner.cli, 'server', '--url', target.url, '--suite', 'all', '--spec-version', specVersion, '--timeout', args.timeout, '-o', dir];
  return new Promise((res, rej) => {
    const child = spawn(runner.node, cliArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = createWriteStream(`${dir}.log`);
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    child.once('error', rej);
    child.once('close', () => {
      const checks = new Map();
      for (const d of readdirSync(dir)) {
        const file = join(dir, d, 'checks.json');
        // The suite names each result directory server-<scenario>-<ISO time with - for : and .>.
        const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(d);
        if (m && existsSync(file)) checks.set(m[1], JSON.parse(readFileSync(file, 'utf8')));
      }
      res(checks);
    });
  });
}

const brief = (c) => `${c.id} [${c.status}] ${(c.errorMessage ?? c.description ?? '').replace(/\s+/g, ' ').slice(0, args.verbose ? 2_000 : 200)}`;

async function main() {
  const baselineFile = resolve(args['expected-failures']);
  const runner = ensureRunner();
  const { parse } = createRequire(join(runnerDir, 'package.json'))('yaml');
  const baseline = parseBaseline(parse(readFileSync(baselineFile, 'utf8')));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  log(`${runner.label}; spec versions ${specVersions.join(', ')}; expected failures ${baselineFile}`);

  const { targets, stop } = args.url
    ? { targets: [{ name: args.name ?? 'url', url: args.url }], stop: async () => {} }
    : await startApps(args.app);
  let passed = 0;
  let failed = 0;
  let expected = 0;
  const ran = new Map();
  try {
    for (const specVersion of specVersions) {
      const scenarios = scenariosAt(runner, specVersion);
      ran.set(specVersion, new Set(scenarios));
      for (const target of targets) {
        const results = await runSuite(runner, target, specVersion);
        const lines = [];
        let p = 0;
        let f = 0;
        let e = 0;
        for (const scenario of scenarios) {
          const verdict = judgeScenario(results.get(scenario), entryFor(baseline, specVersion, scenario));
          if (verdict.outcome === 'fail') {
            f++;
            for (const c of verdict.unexpected) lines.push(`  FAIL ${scenario}: ${brief(c)}`);
            for (const id of verdict.stale) lines.push(`  FAIL ${scenario}: expected to fail but passes: ${id} (remove it from the expected failures)`);
          } else {
            p++;
            if (verdict.outcome === 'expected') e++;
          }
        }
        console.log(`${target.name.padEnd(17)} ${specVersion}: ${p} passed (${e} expected failures), ${f} failed  [${target.url}]`);
        for (const line of lines) console.log(line);
        passed += p;
        failed += f;
        expected += e;
      }
    }
  } finally {
    await stop();
  }
  for (const entry of unusedEntries(baseline, ran)) {
    console.log(`  FAIL expected failure ${entry} names no scenario the suite ran (renamed, or not at that version)`);
    failed++;
  }
  writeFileSync(join(outDir, 'results.json'), JSON.stringify({ passed, failed, expected, specVersions, targets: targets.map((t) => t.name) }));
  console.log(`conformance: ${passed} passed, ${failed} failed (${expected} of the passed are expected failures; ${targets.length} server(s) × ${specVersions.join(' + ')}; results in ${outDir})`);
  return failed === 0;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error(`conformance: ${err.message}`);
    try {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, 'results.json'), JSON.stringify({ passed: 0, failed: 1, expected: 0, error: err.message }));
    } catch {
      // the output directory itself is unusable; the exit code still says it failed
    }
    process.exit(1);
  },
);
