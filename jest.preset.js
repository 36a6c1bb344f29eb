// Shared jest preset: ESM TypeScript compiled by SWC (types are checked by `tsc`, not by jest).
// Every package's jest.config.js spreads this. Run jest with NODE_OPTIONS=--experimental-vm-modules.
import { fileURLToPath } from 'node:url';

const summaryReporter = fileURLToPath(new URL('./scripts/jest-summary-reporter.cjs', import.meta.url));

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // Jest 30 "soft"-deletes what a test file left on globals and wraps it in an accessor whose setter
  // calls itself (Reflect.set on the same property): Sentry's global carrier (`__SENTRY__['10.78.0']`)
  // is written again by the next file that loads base-server, and that file died with "Maximum call
  // stack size exceeded" in a CI run. Libraries keep their process-wide state, as in production.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30_000,
  reporters: ['default', summaryReporter],
};
