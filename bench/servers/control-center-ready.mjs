// The end of every control-center bench server: report the port, answer the memory probe, and on
// SIGTERM stop the service and drop its schema.
import { dropSchema } from '@factory/base-server/testing';
import { answerMemoryProbe } from './memory-probe.mjs';

export function serveUntilSigterm(cc, port, databaseUrl, schema) {
  process.send?.({ port });
  answerMemoryProbe();
  process.on('SIGTERM', async () => {
    await cc.service.stop();
    await dropSchema(databaseUrl, schema);
    process.exit(0);
  });
}
