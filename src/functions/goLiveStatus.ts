import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';

import { getRun, type StatusClient } from '../golive/httpApi';
import { statusClient } from './durableClients';

/** `GET /api/golive/{publisherId}/{offerId}`: the offer's current or last run. */
export async function goLiveStatusHandler(request: HttpRequest, client: StatusClient): Promise<HttpResponseInit> {
  return getRun(request.params, client);
}

df.app.client.http('goLiveStatus', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'golive/{publisherId}/{offerId}',
  handler: (request, client) => goLiveStatusHandler(request, statusClient(client)),
});
