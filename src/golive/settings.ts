import type { AppConfig } from '../config';
import type { RunSettings } from './run/record';

/** Go Live submit attempts per run (transient answers and unresolved unknown outcomes together). */
export const MAX_SUBMIT_ATTEMPTS = 6;

/** The settings a run carries in its input (the orchestrator never reads configuration itself). */
export function runSettingsFrom(golive: AppConfig['golive']): RunSettings {
  return {
    pollIntervalSeconds: golive.pollIntervalSeconds,
    pollMaxIntervalSeconds: golive.pollMaxIntervalSeconds,
    deadlineMinutes: golive.deadlineMinutes,
    pollsPerHistory: golive.pollsPerHistory,
    maxSubmitAttempts: MAX_SUBMIT_ATTEMPTS,
    events: {
      eventGrid: golive.eventGrid.endpoint !== undefined,
      eventGridRetryHours: golive.eventGrid.retryHours,
      progress: golive.progressEvents,
    },
  };
}
