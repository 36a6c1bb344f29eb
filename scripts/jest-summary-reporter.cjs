// Writes <package>/.jest-results.json with the totals of one jest run, so `.ci/run` can print
// one `N passed, N failed` line over the whole workspace without parsing jest's console output.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      suites: results.numTotalTestSuites,
    };
    fs.writeFileSync(path.join(this.rootDir, '.jest-results.json'), JSON.stringify(summary));
  }
}

module.exports = SummaryReporter;
