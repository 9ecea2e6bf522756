/** History events as durable-functions v3 reads them (PascalCase JSON; numbering from the SDK's HistoryEventType). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export const EventTypeName: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([k, v]) => [v, k]),
);

export interface FailureDetailsJson {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable: boolean;
}

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string;
  Version?: string;
  Result?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetailsJson;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationStatus?: string;
  /** Backend bookkeeping: the message that produced this event (duplicate detection). Ignored by the SDK. */
  MessageId?: string;
}

export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export const TERMINAL_STATUSES: readonly RuntimeStatus[] = ['Completed', 'Failed', 'Canceled', 'Terminated'];
export const isTerminal = (s: RuntimeStatus): boolean => TERMINAL_STATUSES.includes(s);

export interface InstanceState {
  instanceId: string;
  name: string;
  version: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  /** JSON text, or undefined. */
  input: string | undefined;
  output: string | undefined;
  customStatus: string | undefined;
  createdTime: Date;
  lastUpdatedTime: Date;
  parentInstanceId?: string;
  parentExecutionId?: string;
  parentTaskId?: number;
}

/** Messages on the control queues (per instance) and the work-item queue (activities). */
export type ControlMessage =
  | {
      kind: 'start';
      id: string;
      instanceId: string;
      executionId: string;
      name: string;
      input?: string;
      version?: string;
      /** When it was sent (ISO): a start that no instance row names yet waits for its row a while (`startNew`). */
      sentAt?: string;
    }
  | {
      kind: 'event';
      id: string;
      instanceId: string;
      executionId?: string;
      event: HistoryEvent;
      /** An activity's result: the fingerprint of the activity it ran (`taskFingerprint`), to match it to history. */
      task?: string;
    }
  | { kind: 'timer'; id: string; instanceId: string; executionId: string; timerId: number; fireAt: string }
  | { kind: 'terminate'; id: string; instanceId: string; reason?: string }
  | { kind: 'suspend' | 'resume'; id: string; instanceId: string; reason?: string };

export interface WorkItemMessage {
  kind: 'activity';
  id: string;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** JSON text of the activity input (already decoded from the SDK's double encoding). */
  input?: string;
}

export class DurableError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DurableError';
  }
}
