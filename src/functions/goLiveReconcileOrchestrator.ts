import * as df from 'durable-functions';

import { RECONCILE_ORCHESTRATOR_NAME } from '../golive/contracts';
import { reconcileOrchestration } from '../golive/reconcile';

/** Publishes the event of a run that ended without one, on its instance (logic in `golive/reconcile.ts`). */
df.app.orchestration(RECONCILE_ORCHESTRATOR_NAME, reconcileOrchestration);
