'use strict';
/*
 * Runs the local host in a child process for the crash test, straight from the TypeScript sources (each .ts file
 * is transpiled on load with the installed TypeScript). Prints "READY <baseUrl>" once the host listens.
 * Env: CHILD_APP_DIR, CHILD_AZURITE_PORTS (JSON), CHILD_STORAGE (connection string).
 */
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};

const { startHost } = require(path.resolve(__dirname, '../../../../tools/host/host.ts'));

startHost({
  appDir: process.env.CHILD_APP_DIR,
  port: 0,
  azurite: JSON.parse(process.env.CHILD_AZURITE_PORTS),
  env: { AzureWebJobsStorage: process.env.CHILD_STORAGE },
  logLevel: 'warning',
  logSink: () => undefined,
}).then(
  (host) => process.stdout.write(`READY ${host.baseUrl}\n`),
  (e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
