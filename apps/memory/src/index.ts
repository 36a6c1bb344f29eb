// Entry of the memory API. `node dist/index.js` serves HTTP (PORT, default 3004); `--stdio` serves MCP
// over stdio; `node dist/index.js migrate` applies database migrations and exits.
import { buildOrExit, isStdioMode, runService } from '@factory/base-server';
import { loadMemoryConfig } from './config.js';
import { createMemoryService } from './app.js';
import { migrations, MIGRATIONS_APP } from './db/migrations.js';

const stdio = isStdioMode();
const memory = await buildOrExit(() => createMemoryService(loadMemoryConfig(), { stdio }));

if (process.argv[2] === 'migrate') {
  try {
    const applied = await memory.database.migrate(migrations, MIGRATIONS_APP);
    memory.service.logger.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
    await memory.service.stop();
    process.exit(0);
  } catch (err) {
    memory.service.logger.fatal({ err }, 'migration failed');
    await memory.service.stop().catch(() => undefined);
    process.exit(1);
  }
} else {
  await runService(memory.service);
}
