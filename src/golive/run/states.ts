/**
 * The run's states, in one place: the record's schema, the HTTP API's `state` filter, the console and the `golive`
 * command read them from here (the console page bundles this module; it imports nothing).
 */

export const RUN_OUTCOMES = ['succeeded', 'failed', 'canceled', 'timedOut'] as const;
/** `submitting` until the partner API accepted the Go Live; `polling` while the operation runs. */
export const ACTIVE_RUN_STATES = ['submitting', 'polling', 'canceling'] as const;
export const RUN_STATES = [...ACTIVE_RUN_STATES, ...RUN_OUTCOMES] as const;
/**
 * `state` filter values of `GET /api/golive`: a run state, or `running` (any active run), `pending` (started, not
 * yet showing a state), `terminated` (stopped through the Durable API).
 */
export const STATE_FILTERS = ['running', 'pending', ...RUN_STATES, 'terminated'] as const;
/** The states a listed run is active in. */
export const ACTIVE_STATES = ['pending', ...ACTIVE_RUN_STATES] as const;

export type RunOutcome = (typeof RUN_OUTCOMES)[number];
export type RunState = (typeof RUN_STATES)[number];
export type StateFilter = (typeof STATE_FILTERS)[number];
