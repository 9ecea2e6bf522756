import * as df from 'durable-functions';

import { RETIRED_ORCHESTRATOR_NAMES } from '../golive/contracts';
import { goLiveOrchestrationV1 } from '../golive/v1/orchestration';

/** The retired go-live orchestrator: registered until its runs end (`docs/deploy.md`). */
df.app.orchestration(RETIRED_ORCHESTRATOR_NAMES.v1, goLiveOrchestrationV1);
