import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { ACTIVITY, type PublishEventGridInput } from '../golive/contracts';
import { publishToEventGrid } from '../golive/eventSinks';
import { eventGridPublisher, goLiveTelemetry } from './activityDeps';

/** Activity: one try at the Event Grid topic (logic in `golive/eventSinks.ts`; the orchestration retries). */
export function publishEventGridHandler(input: PublishEventGridInput, context: InvocationContext) {
  return publishToEventGrid(input, {
    eventGrid: eventGridPublisher,
    telemetry: goLiveTelemetry(),
    log: (message, level) =>
      level === 'error' ? context.error(message) : level === 'warn' ? context.warn(message) : context.log(message),
  });
}

df.app.activity(ACTIVITY.publishEventGrid, { handler: publishEventGridHandler });
