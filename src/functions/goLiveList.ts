import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';

import { listRuns, type StatusClient } from '../golive/httpApi';
import { statusClient } from './durableClients';

/** `GET /api/golive?state=&limit=`: recent runs, most recently updated first. */
export async function goLiveListHandler(request: HttpRequest, client: StatusClient): Promise<HttpResponseInit> {
  return listRuns(request.query, client);
}

df.app.client.http('goLiveList', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'golive',
  handler: (request, client) => goLiveListHandler(request, statusClient(client)),
});
