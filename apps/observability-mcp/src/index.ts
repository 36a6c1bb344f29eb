// Entry: parse config, build the service, serve HTTP (or MCP over stdio with --stdio).
import { isStdioMode, runService } from '@factory/base-server';
import { createObservabilityService } from './app.js';
import { loadObservabilityConfig } from './config.js';

await runService(createObservabilityService(loadObservabilityConfig(), { stdio: isStdioMode() }));
