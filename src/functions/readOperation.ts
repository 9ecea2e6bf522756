import * as df from 'durable-functions';

import { readOperation } from '../golive/activities';
import { ACTIVITY, type ReadOperationInput } from '../golive/contracts';
import { activityDeps, withOperationTag } from './activityDeps';

/** Activity: one read of the go-live operation. */
df.app.activity(ACTIVITY.readOperation, {
  handler: async (input: ReadOperationInput) => withOperationTag(await readOperation(input, activityDeps())),
});
