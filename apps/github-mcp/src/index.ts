#!/usr/bin/env node
// Entry: parse config, build the service, serve HTTP (or MCP over stdio with --stdio).
import { buildOrExit, isStdioMode, runService } from '@factory/base-server';
import { loadGithubConfig } from './config.js';
import { createGithubService } from './app.js';

await runService(await buildOrExit(() => createGithubService(loadGithubConfig(), { stdio: isStdioMode() })));
