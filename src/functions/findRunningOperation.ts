import * as df from 'durable-functions';

import { findRunningOperation } from '../golive/activities';
import { ACTIVITY, type FindRunningOperationInput } from '../golive/contracts';
import { activityDeps, withOperationTag } from './activityDeps';

/** Activity: the offer's running go-live operation, to resolve an unknown Go Live outcome. */
df.app.activity(ACTIVITY.findRunningOperation, {
  handler: async (input: FindRunningOperationInput) =>
    withOperationTag(await findRunningOperation(input, activityDeps())),
});
