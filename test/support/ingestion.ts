/**
 * A local Application Insights ingestion endpoint (Breeze `POST /v2.1/track`) over HTTPS, for tests that check what
 * the app's telemetry really sends. The Azure Monitor exporter only sends over https: the server uses a self-signed
 * certificate made with `openssl` for `localhost`/127.0.0.1, which a child process trusts through
 * `NODE_EXTRA_CA_CERTS` (`caFile`). It records every envelope (gunzipped when sent gzipped) and every raw body.
 *
 *   const ingestion = await startIngestion();
 *   env.APPLICATIONINSIGHTS_CONNECTION_STRING = ingestion.connectionString;
 *   env.NODE_EXTRA_CA_CERTS = ingestion.caFile;
 *   ...
 *   ingestion.envelopes.filter((e) => e.name.endsWith('.Request'));
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** One Breeze envelope (the fields the tests read). */
export interface Envelope {
  name: string;
  time: string;
  iKey?: string;
  tags: Record<string, string>;
  data: { baseType: string; baseData: Record<string, unknown> & { properties?: Record<string, string> } };
}

export interface RunningIngestion {
  /** `InstrumentationKey=...;IngestionEndpoint=https://localhost:{port}/` */
  connectionString: string;
  /** The certificate to trust (`NODE_EXTRA_CA_CERTS`). */
  caFile: string;
  envelopes: Envelope[];
  /** Every request body as received (after gunzip), for secret scans. */
  bodies: string[];
  /** Paths of requests that were not `/v2.1/track`. */
  otherPaths: string[];
  close(): Promise<void>;
}

export const TEST_INSTRUMENTATION_KEY = '00000000-0000-4000-8000-000000000023';

export async function startIngestion(): Promise<RunningIngestion> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-'));
  const keyFile = path.join(dir, 'key.pem');
  const caFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
      ...['-keyout', keyFile, '-out', caFile, '-subj', '/CN=localhost'],
      ...['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    ],
    { stdio: 'ignore' },
  );
  const envelopes: Envelope[] = [];
  const bodies: string[] = [];
  const otherPaths: string[] = [];
  const server: Server = createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b)) raw = gunzipSync(raw);
      const text = raw.toString('utf8');
      bodies.push(text);
      const url = new URL(req.url ?? '/', 'https://localhost');
      if (req.method === 'POST' && url.pathname.endsWith('/v2.1/track')) {
        const items = parseItems(text);
        envelopes.push(...items);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
        return;
      }
      otherPaths.push(`${req.method} ${url.pathname}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    connectionString: `InstrumentationKey=${TEST_INSTRUMENTATION_KEY};IngestionEndpoint=https://localhost:${port}/`,
    caFile,
    envelopes,
    bodies,
    otherPaths,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A JSON array of envelopes, or newline-delimited JSON envelopes. */
function parseItems(text: string): Envelope[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as Envelope[];
  return trimmed
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Envelope);
}
