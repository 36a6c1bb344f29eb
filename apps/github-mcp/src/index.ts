#!/usr/bin/env node
// Entry: parse config, build the service, serve HTTP (or MCP over stdio with --stdio).
import { isStdioMode, runService } from '@factory/base-server';
import { loadGithubConfig } from './config.js';
import { createGithubService } from './app.js';

await runService(createGithubService(loadGithubConfig(), { stdio: isStdioMode() }));
