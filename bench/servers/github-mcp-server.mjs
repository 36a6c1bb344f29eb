// github-mcp (built) as a bench target, configured from the environment the harness passes. Reports its
// port over IPC. No GitHub traffic happens: the bench only lists tools.
import { parseGithubConfig } from '../../apps/github-mcp/dist/config.js';
import { createGithubService } from '../../apps/github-mcp/dist/app.js';
import { answerMemoryProbe } from './memory-probe.mjs';

const config = parseGithubConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '0', GITHUB_TOKEN: 'ghp_bench' });
const service = createGithubService(config);
const { port } = await service.start();
answerMemoryProbe();
process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
process.send({ port });
