import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { acceptsGzip, buildConsolePage, type ConsolePage } from '../console/page';

let page: ConsolePage | undefined;

/** `GET /api/console`: the console page (HTML with its script inline; gzip when the caller takes it). */
export async function consoleHandler(request: HttpRequest): Promise<HttpResponseInit> {
  page ??= buildConsolePage();
  if (acceptsGzip(request.headers.get('accept-encoding'))) {
    return { status: 200, headers: { ...page.headers, 'Content-Encoding': 'gzip' }, body: page.gzip };
  }
  return { status: 200, headers: page.headers, body: page.html };
}

app.http('console', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'console',
  handler: consoleHandler,
});
