import * as df from 'durable-functions';

import { goLiveOrchestration } from '../golive/orchestration';
import { ORCHESTRATOR_NAME } from '../golive/types';

/** The go-live run (logic in `golive/orchestration.ts`). */
df.app.orchestration(ORCHESTRATOR_NAME, goLiveOrchestration);
