// Entry: parse config, build the control center, serve HTTP (or MCP over stdio with --stdio).
import { isStdioMode, runService } from '@factory/base-server';
import { loadConfig } from './config.js';
import { createControlCenter } from './app.js';

const config = loadConfig();
const { service } = await createControlCenter(config, { stdio: isStdioMode() });
await runService(service);
