// Every process a user starts refuses a non-loopback HOST without API keys the way the README says:
// one line naming the fix, exit code 1, no stack trace.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY_POINTS = [
  'apps/control-center/dist/index.js',
  'apps/github-mcp/dist/index.js',
  'apps/deploy-mcp/dist/index.js',
  'apps/observability-mcp/dist/index.js',
  'apps/memory/dist/index.js',
  'apps/memory/dist/worker.js',
];

describe('start-up refusal without keys on a public address', () => {
  it.each(ENTRY_POINTS)('%s prints one line and exits 1', (entry) => {
    const r = spawnSync(process.execPath, [`${root}${entry}`], {
      env: { PATH: process.env.PATH ?? '', HOST: '0.0.0.0', PORT: '0', WORKER_PORT: '0', API_KEYS: '', LOG_LEVEL: 'silent', AWS_REGION: 'eu-west-1', ...(entry.endsWith('worker.js') ? { REDIS_URL: 'redis://127.0.0.1:6379' } : {}) },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/API_KEYS/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
