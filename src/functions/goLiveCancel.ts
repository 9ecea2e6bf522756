import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';

import { cancelRun, type StatusClient } from '../golive/httpApi';
import { statusClient } from './durableClients';
import { statusUrlFor } from './http';

/** `POST /api/golive/{publisherId}/{offerId}/cancel`: 202 raised to the active run, 404 never ran, 409 ended. */
export async function goLiveCancelHandler(request: HttpRequest, client: StatusClient): Promise<HttpResponseInit> {
  return cancelRun(request.params, await request.text(), client, statusUrlFor(request), new Date());
}

df.app.client.http('goLiveCancel', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'golive/{publisherId}/{offerId}/cancel',
  handler: (request, client) => goLiveCancelHandler(request, statusClient(client)),
});
