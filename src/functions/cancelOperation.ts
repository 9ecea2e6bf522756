import * as df from 'durable-functions';

import { cancelOperation } from '../golive/activities';
import { ACTIVITY, type CancelOperationInput } from '../golive/contracts';
import { activityDeps } from './activityDeps';

/** Activity: cancels the offer's go-live operation at the partner API. */
df.app.activity(ACTIVITY.cancelOperation, {
  handler: (input: CancelOperationInput) => cancelOperation(input, activityDeps()),
});
