// Entry: parse config, build the service, serve HTTP (or MCP over stdio with --stdio).
import { buildOrExit, isStdioMode, runService } from '@factory/base-server';
import { createObservabilityService } from './app.js';
import { loadObservabilityConfig } from './config.js';

await runService(await buildOrExit(() => createObservabilityService(loadObservabilityConfig(), { stdio: isStdioMode() })));
