import * as df from 'durable-functions';

import { submitGoLive } from '../golive/activities';
import { ACTIVITY, type SubmitGoLiveInput } from '../golive/contracts';
import { activityDeps, withOperationTag } from './activityDeps';

/** Activity: Go Live, unless a go-live already runs for the offer. */
df.app.activity(ACTIVITY.submitGoLive, {
  handler: async (input: SubmitGoLiveInput, context) =>
    withOperationTag(
      await submitGoLive(
        input,
        activityDeps((m) => context.warn(m)),
      ),
    ),
});
