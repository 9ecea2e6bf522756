'use strict';
/*
 * The BUILT app in the local Functions host with its Durable backend, in a child process a test can kill with
 * SIGKILL (a host that dies, not one that stops) or stop with SIGTERM. Prints "READY <baseUrl>" once it listens.
 * Env: CHILD_APP_DIR, CHILD_HUB, CHILD_ENV (JSON: the app's settings), CHILD_HOST_JSON (JSON: host.json overrides),
 * CHILD_LOGS=1 (print the host's warning and error lines on stderr, prefixed "LOG ").
 */
const path = require('node:path');

const dist = path.resolve(__dirname, '../../../dist/tools/host');
const { startHost } = require(path.join(dist, 'host.js'));
const { createDurableExtension } = require(path.join(dist, 'durable/index.js'));

// Stop with the test process, whichever way it ends.
const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    process.exit(1);
  }
}, 1_000).unref();

startHost({
  appDir: process.env.CHILD_APP_DIR,
  port: 0,
  extensions: [createDurableExtension({ hubName: process.env.CHILD_HUB })],
  env: JSON.parse(process.env.CHILD_ENV || '{}'),
  hostJson: JSON.parse(process.env.CHILD_HOST_JSON || '{}'),
  logLevel: 'warning',
  logSink: process.env.CHILD_LOGS === '1' ? (line) => process.stderr.write(`LOG ${line}\n`) : () => undefined,
}).then(
  (host) => {
    // SIGTERM stops the host as Azure does (appTerminate hooks run: the app's telemetry is flushed).
    process.once('SIGTERM', () => {
      host.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    process.stdout.write(`READY ${host.baseUrl}\n`);
  },
  (e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
