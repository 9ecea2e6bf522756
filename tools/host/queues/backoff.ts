/**
 * The host's idle back-off between empty polls: randomized exponential from a 100 ms minimum up to
 * `maxPollingInterval`, reset to the minimum after a poll that found messages (azure-webjobs-sdk
 * `Microsoft.Azure.WebJobs.Host/Timers/RandomizedExponentialBackoffStrategy.cs`, used by the queue listener with
 * `QueuePollingIntervals.Minimum` = 100 ms).
 */
export const MINIMUM_POLLING_INTERVAL_MS = 100;
const RANDOMIZATION_FACTOR = 0.2;

export class RandomizedExponentialBackoff {
  #current: number;
  #exponent = 1;

  constructor(
    private readonly minimumMs: number,
    private readonly maximumMs: number,
    private readonly random: () => number = Math.random,
    private readonly deltaMs: number = minimumMs,
  ) {
    this.#current = minimumMs;
  }

  nextDelay(executionSucceeded: boolean): number {
    if (executionSucceeded) {
      this.#current = this.minimumMs;
      this.#exponent = 1;
    } else if (this.#current !== this.maximumMs) {
      const factor = 1 - RANDOMIZATION_FACTOR + this.random() * 2 * RANDOMIZATION_FACTOR;
      const next = this.minimumMs + factor * 2 ** (this.#exponent - 1) * this.deltaMs;
      if (next < this.maximumMs) {
        this.#current = next;
        this.#exponent++;
      } else {
        this.#current = this.maximumMs;
      }
    }
    return this.#current;
  }
}
