/**
 * `node dist/tools/eventgrid/cli.js [--port N] [--cert-dir DIR]`: the local Event Grid endpoint alone, until Ctrl-C.
 * Token: `GOLIVE_EVENTGRID_TOKEN`, else the default development token (never printed when it comes from the
 * environment). Prints the URL and the certificate to trust (`NODE_EXTRA_CA_CERTS`).
 */
import { DEFAULT_TOKEN, startEventGridEndpoint } from './index';

async function main(argv: string[]): Promise<void> {
  let port = 0;
  let certDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[++i];
    if (arg === '--port' && value !== undefined && /^\d+$/.test(value)) port = Number(value);
    else if (arg === '--cert-dir' && value !== undefined) certDir = value;
    else throw new Error('Usage: node dist/tools/eventgrid/cli.js [--port N] [--cert-dir DIR]');
  }
  const fromEnv = process.env['GOLIVE_EVENTGRID_TOKEN'];
  const endpoint = await startEventGridEndpoint({
    port,
    token: fromEnv ?? DEFAULT_TOKEN,
    ...(certDir !== undefined ? { certDir } : {}),
  });
  process.stdout.write(
    `Event Grid endpoint ready at ${endpoint.url}\n` +
      `  trust its certificate: NODE_EXTRA_CA_CERTS=${endpoint.caPath}\n` +
      `  token: ${fromEnv ? '(GOLIVE_EVENTGRID_TOKEN)' : DEFAULT_TOKEN}\n` +
      `  received: curl -k https://127.0.0.1:${endpoint.port}/_admin/received\n`,
  );
  const stop = (): void => void endpoint.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
