import * as df from 'durable-functions';

import { reconcileOrchestration } from '../golive/reconcile';
import { RECONCILE_ORCHESTRATOR_NAME } from '../golive/types';

/** Publishes the event of a run that ended without one, on its instance (logic in `golive/reconcile.ts`). */
df.app.orchestration(RECONCILE_ORCHESTRATOR_NAME, reconcileOrchestration);
