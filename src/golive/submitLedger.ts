import { RestError, TableClient } from '@azure/data-tables';
import { ManagedIdentityCredential } from '@azure/identity';

import type { StorageConfig } from '../config';

/**
 * Which runs' first Go Live has begun: a mark the submit activity makes before it reads the partner API. A submit
 * that finds its run's mark made is a re-execution (the host died after the Go Live may have been sent, or the
 * episode that scheduled it was saved twice): it looks for this run's go-live, running or finished since the run
 * started, before it sends anything. Only a submit that made the mark may skip the finished ones: then one read
 * before the Go Live answers "ready?" and "already running?" (docs/reliability.md).
 */
export interface SubmitLedger {
  /**
   * Makes the run's mark. True only when this call made it; false when it was there already, and when storage
   * could not say (the safe answer: the caller looks for the run's go-live as after a crash).
   */
  firstSubmit(runId: string, onError?: (message: string) => void): Promise<boolean>;
}

/** The table in the host's storage account; one row per run (about 100 bytes), never read but by this module. */
export const SUBMIT_LEDGER_TABLE = 'goliveSubmits';
const CALL_TIMEOUT_MS = 10_000;

/** Table keys may not hold `/`, `\`, `#`, `?` or control characters. */
const tableKey = (value: string): string => encodeURIComponent(value);

class TableSubmitLedger implements SubmitLedger {
  private created: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  async firstSubmit(runId: string, onError: (message: string) => void = () => undefined): Promise<boolean> {
    try {
      this.created ??= this.table.createTable({ abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) }).catch((e) => {
        this.created = undefined;
        throw e;
      });
      await this.created;
      await this.table.createEntity(
        { partitionKey: tableKey(runId), rowKey: 'submit', at: new Date().toISOString() },
        { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) },
      );
      return true;
    } catch (e) {
      if (e instanceof RestError && e.statusCode === 409) return false;
      onError(
        `the submit ledger could not mark run ${runId} (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); ` +
          'its go-live is looked up as after a crash',
      );
      return false;
    }
  }
}

/** The ledger on the host's storage account, or undefined when none is configured (every submit then looks up). */
export function createSubmitLedger(storage: StorageConfig): SubmitLedger | undefined {
  const options = { retryOptions: { maxRetries: 2 } };
  switch (storage.kind) {
    case 'connectionString':
      return new TableSubmitLedger(
        TableClient.fromConnectionString(storage.connectionString, SUBMIT_LEDGER_TABLE, {
          ...options,
          allowInsecureConnection: true,
        }),
      );
    case 'identity': {
      const credential = new ManagedIdentityCredential(storage.clientId ? { clientId: storage.clientId } : {});
      return new TableSubmitLedger(new TableClient(storage.tableServiceUri, SUBMIT_LEDGER_TABLE, credential, options));
    }
    case 'none':
      return undefined;
  }
}
