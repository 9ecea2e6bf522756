/**
 * Shared test helpers (local host, Azurite, waiting). Import from here:
 *
 * - `startAzurite(options?)` → `{ connectionString, blobUrl, queueUrl, tableUrl, ports, close(), restart() }`
 *   (in memory on free ports by default; `location` keeps data across `restart()`).
 * - `enqueue(conn, queue, body, encoding?)`, `peekAll(conn, queue, encoding?)`, `queueClient(conn, queue)`:
 *   queue messages as the Functions host stores them (base64 by default).
 * - `startHostProcess({ appDir?, env?, port?, azurite?, simulator?, args? })` → `{ baseUrl, port, child, logs(),
 *   kill(signal?), stop(graceMs?), exited }`: `node dist/tools/host/cli.js start` in a child (after `npm run build`).
 * - `runHostCli(args, env?)` → `{ code, output }`: the CLI until it exits (start-up failures).
 * - `freePort()`: a port that was free a moment ago.
 * - `waitFor(check, { timeoutMs?, intervalMs?, what? })`: polls until `check` gives a value.
 * - In-process: `startHost` from `tools/host/host` (one host per process at a time; `stop()` it).
 */
export * from './azurite';
export * from './hostProcess';
export * from './ports';
export * from './wait';
