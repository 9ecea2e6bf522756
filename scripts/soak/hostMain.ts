/**
 * The local Functions host as a child process for the reliability runs (so it can be killed with SIGKILL and
 * started again): `node dist/scripts/soak/hostMain.js`, options in `SOAK_HOST_OPTIONS` (JSON), app settings in
 * the environment. Prints `SOAK_HOST_READY <baseUrl>` once it listens; logs go to stdout/stderr as the host
 * writes them. SIGTERM stops it cleanly.
 */
import { startHost } from '../../tools/host/host';

export const READY_MARK = 'SOAK_HOST_READY';

export interface HostMainOptions {
  appDir: string;
  azurite: { blob: number; queue: number; table: number };
  hostJson?: Record<string, unknown>;
  queueMessageLeaseMs?: number;
}

function readOptions(): HostMainOptions {
  const raw = process.env['SOAK_HOST_OPTIONS'];
  if (!raw) throw new Error('SOAK_HOST_OPTIONS is not set');
  const parsed = JSON.parse(raw) as HostMainOptions;
  if (typeof parsed.appDir !== 'string' || typeof parsed.azurite !== 'object') {
    throw new Error('SOAK_HOST_OPTIONS needs appDir and azurite ports');
  }
  return parsed;
}

async function main(): Promise<void> {
  const options = readOptions();
  delete process.env['SOAK_HOST_OPTIONS'];
  const host = await startHost({
    appDir: options.appDir,
    port: 0,
    listenHost: '127.0.0.1',
    azurite: options.azurite,
    ...(options.hostJson ? { hostJson: options.hostJson } : {}),
    ...(options.queueMessageLeaseMs ? { queueMessageLeaseMs: options.queueMessageLeaseMs } : {}),
  });
  process.stdout.write(`${READY_MARK} http://127.0.0.1:${host.port}\n`);
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    host.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`host failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
