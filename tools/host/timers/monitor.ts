/**
 * Timer schedule status persisted in storage, like the host's `StorageScheduleMonitor`
 * (azure-webjobs-sdk-extensions `Extensions/Timers/Scheduling/StorageScheduleMonitor.cs`): a JSON blob
 * `{"Last","Next","LastUpdated"}` at `azure-webjobs-hosts/timers/{hostId}/{timerName}/status`.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

export interface ScheduleStatus {
  Last: string;
  Next: string;
  LastUpdated: string;
}

export const HOSTS_CONTAINER = 'azure-webjobs-hosts';

export interface ScheduleMonitor {
  getStatus(timerName: string): Promise<ScheduleStatus | undefined>;
  updateStatus(timerName: string, status: ScheduleStatus): Promise<void>;
}

export function statusBlobName(hostId: string, timerName: string): string {
  return `timers/${hostId}/${timerName}/status`;
}

function isStatus(value: unknown): value is ScheduleStatus {
  const v = value as Partial<ScheduleStatus> | null;
  return typeof v === 'object' && v !== null && typeof v.Next === 'string';
}

export class StorageScheduleMonitor implements ScheduleMonitor {
  readonly #container: ContainerClient;
  #ensured = false;

  constructor(
    connectionString: string,
    private readonly hostId: string,
  ) {
    this.#container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(HOSTS_CONTAINER);
  }

  async getStatus(timerName: string): Promise<ScheduleStatus | undefined> {
    const blob = this.#container.getBlobClient(statusBlobName(this.hostId, timerName));
    try {
      const buf = await blob.downloadToBuffer();
      const parsed = JSON.parse(buf.toString('utf8')) as unknown;
      return isStatus(parsed) ? parsed : undefined;
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404) return undefined;
      if (err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  async updateStatus(timerName: string, status: ScheduleStatus): Promise<void> {
    if (!this.#ensured) {
      await this.#container.createIfNotExists();
      this.#ensured = true;
    }
    const text = JSON.stringify(status);
    await this.#container
      .getBlockBlobClient(statusBlobName(this.hostId, timerName))
      .upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }
}

/**
 * The host id locally: `AzureFunctionsWebHost__hostid` when set, else derived from the app folder name the way a
 * local host derives it from the machine/site name (lower-case letters, digits and dashes, at most 32 chars).
 */
export function localHostId(appDir: string, env: Record<string, string | undefined>): string {
  const configured = env.AzureFunctionsWebHost__hostid ?? env.AzureFunctionsWebHost__hostId;
  const base = configured ?? `local-${appDir.split(/[\\/]/).filter(Boolean).pop() ?? 'app'}`;
  return (
    base
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 32)
      .replace(/-+$/, '') || 'local'
  );
}
