/**
 * Jest runs TypeScript through ts-jest with its diagnostics off (transpile only): the type-check is a separate step,
 * `npm test` runs `tsc -p tsconfig.test.json --noEmit` (src, tools, scripts and test) before jest, and fails on a
 * type error there. `npx jest` alone does not type-check.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }],
  },
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/totalsReporter.js'],
};
