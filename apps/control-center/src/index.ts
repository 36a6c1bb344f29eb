// Entry: parse config, build the control center, serve HTTP (or MCP over stdio with --stdio).
import { buildOrExit, isStdioMode, runService } from '@factory/base-server';
import { loadConfig } from './config.js';
import { createControlCenter } from './app.js';

const { service } = await buildOrExit(() => createControlCenter(loadConfig(), { stdio: isStdioMode() }));
await runService(service);
