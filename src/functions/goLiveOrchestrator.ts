import * as df from 'durable-functions';

import { ORCHESTRATOR_NAME } from '../golive/contracts';
import { goLiveOrchestration } from '../golive/orchestration';

/** The go-live run (logic in `golive/orchestration.ts`). */
df.app.orchestration(ORCHESTRATOR_NAME, goLiveOrchestration);
