import { packageVersion } from '@factory/base-server';

// apps/memory/package.json's version (changesets bumps it), shared by the API and the worker.
export const SERVICE_VERSION = packageVersion(import.meta.url);
