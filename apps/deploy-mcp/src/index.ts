// Entry: parse config, build the service, serve HTTP (or MCP over stdio with --stdio).
import { buildOrExit, isStdioMode, runService } from '@factory/base-server';
import { loadConfig } from './config.js';
import { createDeployService } from './app.js';

const { service } = await buildOrExit(() => createDeployService(loadConfig(), { stdio: isStdioMode() }));
await runService(service);
