/** Free TCP ports for tests. */
import { createServer } from 'node:net';

/** A port that was free a moment ago (listen on 0, read it, close). Prefer passing 0 to servers directly. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
