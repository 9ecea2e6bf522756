/**
 * Names that leave the app: completion event types (queue `golive-events`) and Application Insights
 * custom events and metrics. The infra workbook and alert queries are checked against these.
 */

export const COMPLETION_EVENT_TYPES = [
  'golive.succeeded',
  'golive.failed',
  'golive.canceled',
  'golive.timedOut',
  'golive.rejected',
] as const;
export type CompletionEventType = (typeof COMPLETION_EVENT_TYPES)[number];
/** Opt-in (`GOLIVE_PROGRESS_EVENTS`): the run's steps or phase changed. */
export const PROGRESS_EVENT_TYPE = 'golive.progressed';
/** Every event type the app emits (queue `golive-events` and the Event Grid topic). */
export type EventType = CompletionEventType | typeof PROGRESS_EVENT_TYPE;

/** Application Insights custom event emitted on every run state change. */
export const STATE_CHANGED_EVENT = 'GoLiveStateChanged';
/** Application Insights custom event emitted when a request is rejected at intake. */
export const REQUEST_REJECTED_EVENT = 'GoLiveRequestRejected';
/** Application Insights custom event for each partner API error response (429, 5xx, ...). */
export const PARTNER_API_ERROR_EVENT = 'PartnerApiError';
/** Application Insights custom event for each publish the Event Grid topic refused or did not answer. */
export const EVENTGRID_PUBLISH_FAILED_EVENT = 'EventGridPublishFailed';
/** Application Insights custom event: events Event Grid never took within GOLIVE_EVENTGRID_RETRY_HOURS (alerted). */
export const EVENTGRID_GAVE_UP_EVENT = 'EventGridPublishGaveUp';
/** Application Insights metric: seconds from run start to completion, one value per run. */
export const DURATION_METRIC = 'GoLiveDurationSeconds';
/** Application Insights metric: partner API polls a run needed. */
export const POLL_COUNT_METRIC = 'GoLivePollCount';

/** Custom dimensions every app event and metric carries. */
export const DIMENSIONS = ['publisherId', 'offerId', 'runId', 'operationId', 'api', 'state', 'outcome'] as const;
