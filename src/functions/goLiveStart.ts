import { randomUUID } from 'node:crypto';

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

import { getConfig } from '../config';
import { requestFromPost } from '../golive/httpApi';
import { statusUrlFor } from './http';
import { requestsQueueOutput } from './queues';

/** `POST /api/golive/{publisherId}/{offerId}`: enqueues a request (same path as upstream) and answers 202. */
export async function goLiveStartHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { response, message } = requestFromPost(request.params, await request.text(), {
    defaultApi: getConfig().golive.defaultApi,
    statusUrl: statusUrlFor(request),
    newRequestId: () => `http-${randomUUID()}`,
  });
  if (message !== undefined) {
    context.extraOutputs.set(requestsQueueOutput, message);
    context.log(`go-live request enqueued for ${request.params.publisherId}/${request.params.offerId}`);
  }
  return response;
}

app.http('goLiveStart', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'golive/{publisherId}/{offerId}',
  extraOutputs: [requestsQueueOutput],
  handler: goLiveStartHandler,
});
