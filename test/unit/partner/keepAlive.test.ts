/** One keep-alive pool per client: sequential calls reuse its connections; closing the client closes them. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { CloudPartnerPortalClient } from '../../../src/partner/cloudPartnerPortalClient';
import { StaticTokenCredential } from '../../../src/partner/credential';
import { TARGET } from './helpers';

let server: Server;
let url: string;
let connections = 0;
let open = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-ms-request-id': 'r' });
    res.end(JSON.stringify({ status: 'running', steps: [] }));
  });
  server.on('connection', (socket) => {
    connections++;
    open++;
    socket.on('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('reuses pooled connections for sequential calls and closes them with the client', async () => {
  const client = new CloudPartnerPortalClient({
    baseUrl: url,
    apiVersion: 'v',
    scope: 's',
    credential: new StaticTokenCredential('t'),
    timeoutMs: 5_000,
    maxRetries: 0,
  });
  for (let i = 0; i < 25; i++) {
    await client.getOperation(TARGET, `/api/publishers/p/offers/o/operations/${i}`);
  }
  // undici's pool may open a second connection while the first finishes a response; never one per call.
  expect(connections).toBeGreaterThanOrEqual(1);
  expect(connections).toBeLessThanOrEqual(2);
  await client.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(open).toBe(0);
});
