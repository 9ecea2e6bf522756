/**
 * Wakes queue listeners early when the host itself adds a message to a queue they watch (an output binding, a
 * poison move): the host's `SharedQueueWatcher.Notify`, which ends the listener's back-off delay
 * (azure-sdk-for-net `Microsoft.Azure.WebJobs.Extensions.Storage.Queues` `Listeners/QueueListener.cs` `Notify`).
 */
export class SharedQueueWatcher {
  readonly #watchers = new Map<string, Set<() => void>>();

  /** Registers `wake` for `queueName`; returns an unregister function. */
  register(queueName: string, wake: () => void): () => void {
    const key = queueName.toLowerCase();
    let set = this.#watchers.get(key);
    if (!set) this.#watchers.set(key, (set = new Set()));
    set.add(wake);
    return () => set.delete(wake);
  }

  notify(queueName: string): void {
    for (const wake of this.#watchers.get(queueName.toLowerCase()) ?? []) wake();
  }
}
