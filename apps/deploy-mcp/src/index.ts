// Entry: parse config, build the service, serve HTTP (or MCP over stdio with --stdio).
import { isStdioMode, runService } from '@factory/base-server';
import { loadConfig } from './config.js';
import { createDeployService } from './app.js';

const config = loadConfig();
const { service } = await createDeployService(config, { stdio: isStdioMode() });
await runService(service);
