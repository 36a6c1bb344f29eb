// Release engineering: the security, release and docs workflows parsed and checked for what they must do,
// every action pinned by commit SHA, the Renovate groups, and the scripts that run here for real: the
// dependency audit and licence check on recorded pnpm answers, the release image tag of a deploy, the
// release notes from changesets' changelogs, and scripts/rollback.sh against the stand-in aws CLI with
// a real memory service behind the smoke test.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { APPS } from '../scripts/changed-apps.mjs';
import { API_KEY, cleanEnv, freePort, REPO_ROOT, run, startProcess, waitForHealth, type RunningProcess } from './helpers.js';

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix: Record<string, unknown> };
  steps: Step[];
  environment?: string | { name: string };
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const WORKFLOWS = join(REPO_ROOT, '.github/workflows');
const load = (file: string) => parse(readFileSync(join(WORKFLOWS, file), 'utf8')) as Workflow;
const script = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
const step = (job: Job | undefined, uses: string) => job?.steps.find((s) => s.uses?.startsWith(uses));
const FIXTURES = join(REPO_ROOT, 'deploy/test/fixtures');

describe('every workflow', () => {
  test('pins each action to a full commit SHA with the version in a comment', () => {
    const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml'));
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'deploy.yml', 'release.yml', 'security.yml', 'docs.yml']));
    let count = 0;
    for (const file of files) {
      for (const line of readFileSync(join(WORKFLOWS, file), 'utf8').split('\n')) {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m) continue;
        count++;
        expect(`${file}: ${m[1]}${m[2]}`).toMatch(/: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
      }
    }
    expect(count).toBeGreaterThan(30);
  });

  test('ci.yml lints the workflows with actionlint', () => {
    const ci = load('ci.yml');
    expect(Object.values(ci.jobs).some((j) => step(j, 'raven-actions/actionlint'))).toBe(true);
  });
});

describe('security.yml', () => {
  const wf = load('security.yml');
  test('runs on pushes, pull requests and weekly, read-only by default', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push', 'schedule']);
    expect(wf.permissions).toEqual({ contents: 'read' });
  });
  test('CodeQL scans javascript-typescript and may upload its results', () => {
    const job = wf.jobs.codeql;
    expect(step(job, 'github/codeql-action/init')?.with?.languages).toBe('javascript-typescript');
    expect(step(job, 'github/codeql-action/analyze')).toBeDefined();
    expect(job?.permissions?.['security-events']).toBe('write');
  });
  test('audits production dependencies, checks their licences, and scans the whole history for secrets', () => {
    expect(script(wf.jobs.audit as Job)).toContain('pnpm audit:deps');
    expect(script(wf.jobs.licences as Job)).toMatch(/pnpm install --frozen-lockfile[\s\S]*pnpm licenses:check/);
    const secrets = wf.jobs.secrets as Job;
    expect(step(secrets, 'actions/checkout')?.with?.['fetch-depth']).toBe(0);
    expect(step(secrets, 'gitleaks/gitleaks-action')?.env?.GITLEAKS_CONFIG).toBe('.gitleaks.toml');
    expect(readFileSync(join(REPO_ROOT, '.gitleaks.toml'), 'utf8')).toMatch(/\[extend\]\s+useDefault = true/);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['audit:deps']).toBe('node scripts/audit-deps.mjs');
    expect(pkg.scripts['licenses:check']).toBe('node scripts/licence-check.mjs');
  });
});

describe('release.yml', () => {
  const wf = load('release.yml');
  const images = wf.jobs.images as Job;
  const build = step(images, 'docker/build-push-action');

  test('runs on version tags only and builds every app', () => {
    expect(wf.on).toEqual({ push: { tags: ['v[0-9]+.[0-9]+.[0-9]+*'] } });
    expect(images.strategy?.matrix.app).toEqual(APPS);
  });
  test('builds amd64 and arm64 from deploy/Dockerfile, tagged with the app version and the commit SHA, with SBOM and provenance', () => {
    expect(String(build?.with?.platforms).split(',')).toEqual(['linux/amd64', 'linux/arm64']);
    expect(build?.with?.file).toBe('deploy/Dockerfile');
    const tags = String(build?.with?.tags).trim().split('\n');
    expect(tags).toEqual([
      '${{ steps.ecr.outputs.registry }}/factory/${{ matrix.app }}:${{ steps.app.outputs.version }}',
      '${{ steps.ecr.outputs.registry }}/factory/${{ matrix.app }}:${{ github.sha }}',
    ]);
    expect(build?.with?.sbom).toBe(true);
    expect(build?.with?.provenance).toBe('mode=max');
    expect(build?.with?.push).toBe(true);
    expect(step(images, 'docker/setup-qemu-action')).toBeDefined();
    // The version is the app's own package.json version (changesets bumps it).
    expect(script(images)).toContain('require(`./apps/${process.env.APP}/package.json`).version');
  });
  test('signs every image keyless by digest, with an OIDC token, and an unchanged app gets the SHA tag on its released image', () => {
    expect(images.permissions?.['id-token']).toBe('write');
    expect(step(images, 'sigstore/cosign-installer')).toBeDefined();
    expect(script(images)).toMatch(/cosign sign --yes "\$IMAGE@\$digest"/);
    expect(script(images)).not.toMatch(/--key/);
    expect(build?.if).toBe("steps.existing.outputs.released == 'false'");
    expect(script(images)).toContain('docker buildx imagetools create --tag "$IMAGE:$GITHUB_SHA" "$IMAGE:$VERSION"');
  });
  test('publishes release notes from the changesets once the images exist', () => {
    const notes = wf.jobs.notes as Job;
    expect(notes.needs).toBe('images');
    expect(notes.permissions).toEqual({ contents: 'write' });
    expect(script(notes)).toMatch(/node scripts\/release-notes\.mjs "\$GITHUB_REF_NAME" > release-notes\.md[\s\S]*gh release create "\$GITHUB_REF_NAME" --verify-tag .*--notes-file release-notes\.md/);
  });
});

describe('deploy.yml deploys a release to production', () => {
  const wf = load('deploy.yml');
  test('the image tag comes from release-image-tag.sh; nothing is built for a release', () => {
    const dispatch = wf.on.workflow_dispatch as { inputs: Record<string, unknown> };
    expect(dispatch.inputs.release).toBeDefined();
    expect(script(wf.jobs.changes as Job)).toContain('bash deploy/scripts/release-image-tag.sh "$STAGE" "$RELEASE" >> "$GITHUB_OUTPUT"');
    expect(wf.jobs.images?.if).toContain("needs.changes.outputs.build == 'true'");
    for (const name of ['images', 'services', 'infrastructure']) {
      expect((wf.jobs[name] as Job & { env: Record<string, string> }).env.IMAGE_TAG).toBe('${{ needs.changes.outputs.image_tag }}');
    }
    expect(readFileSync(join(WORKFLOWS, 'deploy.yml'), 'utf8')).not.toContain('IMAGE_TAG: ${{ github.sha }}');
  });
  test("a release's signature from release.yml is verified before the service is updated", () => {
    const job = wf.jobs.services as Job;
    const verify = job.steps.findIndex((s) => s.run?.includes('cosign verify'));
    const deploy = job.steps.findIndex((s) => s.run?.includes('ecs-deploy.sh deploy'));
    expect(verify).toBeGreaterThan(0);
    expect(verify).toBeLessThan(deploy);
    expect(job.steps[verify]?.if).toBe("needs.changes.outputs.build == 'false'");
    expect(job.steps[verify]?.run).toContain('.github/workflows/release.yml@refs/tags/$RELEASE');
  });

  describe('release-image-tag.sh', () => {
    let repo: string;
    let tagged = '';
    beforeAll(() => {
      repo = mkdtempSync(join(tmpdir(), 'factory-release-tag-'));
      const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: cleanEnv({ GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' }) }).trim();
      git('init', '-q');
      git('commit', '-q', '--allow-empty', '-m', 'first');
      git('tag', '-a', 'v1.2.0', '-m', 'v1.2.0');
      tagged = git('rev-parse', 'HEAD');
      git('commit', '-q', '--allow-empty', '-m', 'after the release');
    });
    afterAll(() => rmSync(repo, { recursive: true, force: true }));
    const tagOf = (...args: string[]) => run('bash', [join(REPO_ROOT, 'deploy/scripts/release-image-tag.sh'), ...args], { cwd: repo, env: cleanEnv({}) });

    test("a release is its tag's commit and builds nothing, on either stage", async () => {
      for (const stage of ['production', 'staging']) {
        const r = await tagOf(stage, 'v1.2.0');
        expect(r.code).toBe(0);
        expect(r.stdout.trim().split('\n')).toEqual([`image_tag=${tagged}`, 'build=false']);
      }
    });
    test('production without a release is refused; staging without one builds the checked-out commit', async () => {
      const refused = await tagOf('production', '');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('production deploys a release only');
      const staging = await tagOf('staging', '');
      const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
      expect(staging.stdout.trim().split('\n')).toEqual([`image_tag=${head}`, 'build=true']);
      expect(head).not.toBe(tagged);
    });
    test('a name that is not a version tag, or a tag that does not exist, is refused', async () => {
      const branch = await tagOf('production', 'main');
      expect(branch.code).toBe(1);
      expect(branch.stderr).toContain('is not a version tag');
      const missing = await tagOf('production', 'v9.9.9');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('v9.9.9 is not a tag of this repository');
    });
  });
});

describe('docs.yml', () => {
  const wf = load('docs.yml');
  test('builds the site from the README and the OpenAPI documents, link-checks it, and publishes main to Pages', () => {
    const build = wf.jobs.build as Job;
    const runs = build.steps.map((s) => s.run ?? s.uses ?? '');
    const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
    const [generate, links, upload] = [at(/node scripts\/docs-site\.mjs --out site/), at(/^lycheeverse\/lychee-action@/), at(/^actions\/upload-pages-artifact@/)];
    expect(generate).toBeGreaterThan(at(/^pnpm build$/));
    expect(generate < links && links < upload).toBe(true);
    expect(build.steps[links]?.with?.fail).toBe(true);
    const publish = wf.jobs.publish as Job;
    expect(publish.needs).toBe('build');
    expect(publish.permissions).toEqual({ pages: 'write', 'id-token': 'write' });
    expect(publish.if).toContain("github.ref == 'refs/heads/main'");
    expect(step(publish, 'actions/deploy-pages')).toBeDefined();
  });
});

describe('renovate.json', () => {
  const config = JSON.parse(readFileSync(join(REPO_ROOT, 'renovate.json'), 'utf8')) as {
    schedule: string[];
    ignorePaths: string[];
    packageRules: { matchManagers?: string[]; matchDatasources?: string[]; matchPackageNames?: string[]; groupName: string; pinDigests?: boolean }[];
  };
  const group = (name: string) => config.packageRules.find((r) => r.groupName === name);
  test('weekly, one group per ecosystem, the MCP SDK and the AWS SDK on their own, actions pinned by digest', () => {
    expect(config.schedule).toEqual(['before 6am on monday']);
    expect(group('pnpm catalog')?.matchManagers).toEqual(['npm']);
    expect(group('GitHub Actions')?.matchManagers).toEqual(['github-actions']);
    expect(group('GitHub Actions')?.pinDigests).toBe(true);
    expect(group('Docker base images')?.matchDatasources).toEqual(['docker']);
    expect(group('MCP SDK')?.matchPackageNames).toEqual(['@modelcontextprotocol/**']);
    expect(group('AWS SDK')?.matchPackageNames).toContain('@aws-sdk/**');
    // Later rules win in Renovate: the SDK groups come after the catalog-wide one.
    const names = config.packageRules.map((r) => r.groupName);
    expect(names.indexOf('MCP SDK')).toBeGreaterThan(names.indexOf('pnpm catalog'));
    expect(names.indexOf('AWS SDK')).toBeGreaterThan(names.indexOf('pnpm catalog'));
    // The audit fixture's vulnerable lockfile is there on purpose.
    expect(config.ignorePaths).toContain('deploy/test/fixtures/**');
  });
});

describe('scripts/audit-deps.mjs on recorded pnpm audit answers', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'factory-audit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const allowlist = (entries: unknown[]) => {
    const file = join(dir, `allowlist-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ entries }));
    return file;
  };
  const audit = (input: string, allow: string, today = '2026-06-01') =>
    run('node', ['scripts/audit-deps.mjs', '--input', join(FIXTURES, 'audit', input), '--allowlist', allow, '--today', today]);
  const LODASH = { id: 'GHSA-35jh-r3h4-6jhm', package: 'lodash', reason: 'template() is never called with user input; reviewed by ops', expires: '2026-07-01' };

  test('a high advisory of a production dependency fails, naming the package, advisory and fix; a moderate one does not', async () => {
    const r = await audit('lodash-4.17.20.json', allowlist([]));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL    high lodash@4.17.20 GHSA-35jh-r3h4-6jhm: Command Injection in lodash (via .>lodash) — fixed in >=4.17.21');
    expect(r.stdout).not.toContain('GHSA-29mw-wpgm-hmr9');
    expect(r.stderr).toContain('1 problem(s) in production dependencies');
  });
  test('an allowlist entry with a reason passes until its expiry, and fails the day after', async () => {
    const file = allowlist([LODASH]);
    const allowed = await audit('lodash-4.17.20.json', file, '2026-07-01');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('allowed high lodash@4.17.20 GHSA-35jh-r3h4-6jhm');
    expect(allowed.stdout).toContain('allowed until 2026-07-01: template() is never called with user input');
    const expired = await audit('lodash-4.17.20.json', file, '2026-07-02');
    expect(expired.code).toBe(1);
    expect(expired.stdout).toContain('allowlist entry GHSA-35jh-r3h4-6jhm (lodash) expired on 2026-07-01');
  });
  test('an entry matches by CVE too, but only for its package; an unused entry is reported as stale', async () => {
    expect((await audit('lodash-4.17.20.json', allowlist([{ ...LODASH, id: 'CVE-2021-23337' }]))).code).toBe(0);
    expect((await audit('lodash-4.17.20.json', allowlist([{ ...LODASH, package: 'underscore' }]))).code).toBe(1);
    const stale = await audit('lodash-4.17.20.json', allowlist([LODASH, { ...LODASH, id: 'GHSA-0000-0000-0000', package: 'left-pad' }]));
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain('stale   allowlist entry GHSA-0000-0000-0000 (left-pad) matches no advisory any more: remove it');
  });
  test('an entry without a reason or with a bad expiry, and an audit that could not run, are errors (exit 2)', async () => {
    const noReason = await audit('lodash-4.17.20.json', allowlist([{ ...LODASH, reason: ' ' }]));
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('allowlist entry 1 (GHSA-35jh-r3h4-6jhm) has no "reason"');
    const badDate = await audit('lodash-4.17.20.json', allowlist([{ ...LODASH, expires: 'next year' }]));
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('"expires" must be a date YYYY-MM-DD');
    const unreachable = await audit('audit-unreachable.json', allowlist([]));
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain('pnpm audit failed: The audit endpoint');
  });
  test("the repository's own allowlist is valid", async () => {
    const r = await run('node', ['scripts/audit-deps.mjs', '--input', join(FIXTURES, 'audit', 'lodash-4.17.20.json')]);
    expect(r.stderr).not.toContain('security/audit-allowlist.json:');
    expect(r.code).toBe(1);
  });
});

describe('scripts/licence-check.mjs', () => {
  test('a copyleft licence, or an AND with one, fails; an OR with an allowed side and a reviewed exception pass', async () => {
    const r = await run('node', ['scripts/licence-check.mjs', '--input', join(FIXTURES, 'licences.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      'FAIL copyleft-lib@2.0.0: GPL-3.0-only is not on the licence allowlist',
      'FAIL dual-and@1.0.0: (MIT AND GPL-2.0-only) is not on the licence allowlist',
    ]);
  });
  test("every production dependency of this workspace has an allowed licence (pnpm licenses list, offline)", async () => {
    const r = await run('node', ['scripts/licence-check.mjs'], { timeoutMs: 120_000 });
    expect(r.stdout).toMatch(/licenses:check: \d+ production packages, every licence allowed/);
    expect(r.code).toBe(0);
  }, 120_000);
});

describe('scripts/release-notes.mjs', () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'factory-release-notes-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: cleanEnv({ GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' }) });
    const app = (name: string, version: string, changelog?: string) => {
      mkdirSync(join(repo, 'apps', name), { recursive: true });
      writeFileSync(join(repo, 'apps', name, 'package.json'), JSON.stringify({ name: `@factory/${name}`, version }));
      if (changelog) writeFileSync(join(repo, 'apps', name, 'CHANGELOG.md'), changelog);
    };
    git('init', '-q');
    app('memory', '1.0.0');
    app('github-mcp', '1.0.0');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    git('tag', 'v1.0.0');
    // What `changeset version` leaves behind for a minor change to memory.
    app('memory', '1.1.0', '# @factory/memory\n\n## 1.1.0\n\n### Minor Changes\n\n- 1a2b3c4: recall ranks recent turns first\n\n## 1.0.0\n\n- first release\n');
    git('add', '.');
    git('commit', '-q', '-m', 'Version packages');
    git('tag', 'v1.1.0');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  test("each app's changelog section for its version; an app not bumped since the last tag says so", async () => {
    const r = await run('node', ['scripts/release-notes.mjs', 'v1.1.0', '--root', repo]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# Factory v1.1.0');
    expect(r.stdout).toContain('changes since v1.0.0');
    expect(r.stdout).toMatch(/\| memory \| 1\.1\.0 \| `factory\/memory:1\.1\.0`/);
    expect(r.stdout.endsWith('## memory 1.1.0\n\n### Minor Changes\n\n- 1a2b3c4: recall ranks recent turns first\n')).toBe(true);
    expect(r.stdout).not.toContain('first release');
    expect(r.stdout).toContain('## github-mcp 1.0.0\n\nUnchanged since v1.0.0.');
  });
  test('a tag that does not exist fails', async () => {
    const r = await run('node', ['scripts/release-notes.mjs', 'v2.0.0', '--root', repo]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('v2.0.0 is not a tag');
  });
});

describe('scripts/rollback.sh against the stand-in aws CLI', () => {
  let dir: string;
  let stateFile: string;
  let memory: RunningProcess;
  let memoryUrl = '';
  const arn = (family: string, revision: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`;
  const def = (family: string, container: string, revision: number, tag: string) => ({
    taskDefinitionArn: arn(family, revision),
    family,
    revision,
    status: 'ACTIVE',
    containerDefinitions: [{ name: container, image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/factory/memory:${tag}` }],
  });
  const TAGS = ['1.0.0', '1.1.0', '1.2.0'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'factory-rollback-'));
    copyFileSync(join(REPO_ROOT, 'deploy/test/fake-aws.mjs'), join(dir, 'aws'));
    chmodSync(join(dir, 'aws'), 0o755);
    const port = await freePort();
    memory = startProcess('node', ['dist/index.js'], {
      cwd: join(REPO_ROOT, 'apps/memory'),
      env: cleanEnv({ NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', API_KEYS: `test:${API_KEY}` }),
    });
    memoryUrl = `http://127.0.0.1:${port}`;
    await waitForHealth(`${memoryUrl}/health`, memory);
  }, 180_000);
  afterAll(async () => {
    await memory.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    stateFile = join(dir, 'state.json');
    const taskDefinitions: Record<string, unknown> = {};
    for (const [service, family] of [
      ['memory', 'factory-production-memory'],
      ['memory-worker', 'factory-production-memory-worker'],
    ] as const) {
      TAGS.forEach((tag, i) => (taskDefinitions[arn(family, i + 1)] = def(family, service, i + 1, tag)));
    }
    writeFileSync(
      stateFile,
      JSON.stringify({
        outputs: {
          ClusterName: 'factory-production',
          MemoryServiceName: 'memory',
          MemoryContainerName: 'memory',
          MemoryWorkerServiceName: 'memory-worker',
          MemoryWorkerContainerName: 'memory-worker',
          LoadBalancerDns: 'factory-production.invalid',
          ApiKeySecretName: 'factory/production/api-key',
        },
        secrets: { 'factory/production/api-key': API_KEY },
        services: { memory: arn('factory-production-memory', 3), 'memory-worker': arn('factory-production-memory-worker', 3) },
        taskDefinitions,
      }),
    );
  });
  const rollback = (args: string[], extra: Record<string, string> = {}) =>
    run('bash', ['scripts/rollback.sh', ...args], {
      env: cleanEnv({ PATH: `${dir}:${process.env.PATH ?? ''}`, FAKE_AWS_STATE: stateFile, FAKE_AWS_LOG: join(dir, 'calls.log'), MEMORY_URL: memoryUrl, FACTORY_ROLLBACK_SMOKE_WAIT: '30', ...extra }),
      timeoutMs: 120_000,
    });
  const services = () => (JSON.parse(readFileSync(stateFile, 'utf8')) as { services: Record<string, string> }).services;

  test('without a version: the revision before the running one, for memory and its worker, stable, smoke-tested, reported', async () => {
    const r = await rollback(['production', 'memory']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(services()).toEqual({ memory: arn('factory-production-memory', 2), 'memory-worker': arn('factory-production-memory-worker', 2) });
    expect(r.stdout).toContain('waiting for memory to become stable');
    expect(r.stdout).toContain('waiting for memory-worker to become stable');
    expect(r.stdout).toMatch(/ok {3}memory tools\/list: \d+ tools/);
    expect(r.stdout).toContain('smoke test passed (production)');
    expect(r.stdout).toContain('== done: memory on production\nmemory: factory-production-memory:3 -> factory-production-memory:2\nmemory-worker: factory-production-memory-worker:3 -> factory-production-memory-worker:2');
  }, 120_000);

  test('with a version: the newest revision running that image tag, or the given revision number', async () => {
    expect((await rollback(['production', 'memory', '1.0.0'])).code).toBe(0);
    expect(services().memory).toBe(arn('factory-production-memory', 1));
    expect((await rollback(['production', 'memory', '2'])).code).toBe(0);
    expect(services()).toEqual({ memory: arn('factory-production-memory', 2), 'memory-worker': arn('factory-production-memory-worker', 2) });
  }, 120_000);

  test('a version no revision runs changes nothing and says what to do instead', async () => {
    const r = await rollback(['production', 'memory', '0.9.0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no revision of factory-production-memory runs memory at 0.9.0: deploy that release instead');
    expect(services().memory).toBe(arn('factory-production-memory', 3));
  });

  test('a rollback that never becomes stable fails before the smoke test', async () => {
    const r = await rollback(['production', 'memory'], { FAKE_AWS_UNSTABLE: 'true' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rollback of memory on production did not become stable');
    expect(r.stdout).not.toContain('== smoke test');
  });

  test('a failing smoke test after the rollback fails the command and says so', async () => {
    const closed = await freePort();
    const r = await rollback(['production', 'memory'], { MEMORY_URL: `http://127.0.0.1:${closed}`, FACTORY_ROLLBACK_SMOKE_WAIT: '0' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL memory /health');
    expect(r.stderr).toContain('rolled back memory on production, but the smoke test fails');
  }, 120_000);

  test("the smoke-tested service reports its package.json version, the one changesets bumps and release.yml tags", async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'apps/memory/package.json'), 'utf8')) as { version: string };
    const health = (await (await fetch(`${memoryUrl}/health`)).json()) as { version: string };
    expect(health.version).toBe(version);
  });

  test('bad usage exits 2', async () => {
    expect((await rollback(['qa', 'memory'])).code).toBe(2);
    expect((await rollback(['production'])).code).toBe(2);
  });
});

describe('scripts/docs-site.mjs', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'factory-docs-site-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("writes the README's configuration tables and each service's /openapi.json, and every relative link resolves", async () => {
    const r = await run('node', ['scripts/docs-site.mjs', '--out', out], { timeoutMs: 180_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const config = readFileSync(join(out, 'configuration.html'), 'utf8');
    expect(config).toContain('<h3 id="common-settings-every-service">Common settings (every service)</h3>');
    expect(config).toContain('<td><code>BODY_LIMIT_BYTES</code></td><td><code>1048576</code></td>');
    for (const app of APPS) {
      const doc = JSON.parse(readFileSync(join(out, 'openapi', `${app}.json`), 'utf8')) as { openapi: string; info: { title: string; version: string } };
      expect(doc.info.title).toBe(app);
      const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'apps', app, 'package.json'), 'utf8')) as { version: string };
      expect(doc.info.version).toBe(version);
    }
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    const links = [...index.matchAll(/href="([^"#:]+)"/g), ...config.matchAll(/href="([^"#:]+)"/g)].map((m) => m[1] ?? '');
    expect(links).toEqual(expect.arrayContaining(['configuration.html', 'openapi/memory.json', 'index.html']));
    for (const link of links) expect(() => readFileSync(join(out, link))).not.toThrow();
  }, 180_000);
});
