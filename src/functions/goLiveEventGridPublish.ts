import * as df from 'durable-functions';

import { EVENTGRID_ORCHESTRATOR_NAME } from '../golive/contracts';
import { eventGridPublishOrchestration } from '../golive/eventDelivery';

/** Delivers a rejected request's event to the Event Grid topic (logic in `golive/eventDelivery.ts`). */
df.app.orchestration(EVENTGRID_ORCHESTRATOR_NAME, eventGridPublishOrchestration);
