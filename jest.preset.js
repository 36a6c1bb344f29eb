// Shared jest preset: ESM TypeScript compiled by SWC (types are checked by `tsc`, not by jest).
// Every package's jest.config.js spreads this. Run jest with NODE_OPTIONS=--experimental-vm-modules.
import { fileURLToPath } from 'node:url';

const summaryReporter = fileURLToPath(new URL('./scripts/jest-summary-reporter.cjs', import.meta.url));

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
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
