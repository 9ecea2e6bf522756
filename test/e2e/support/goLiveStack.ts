/**
 * The end-to-end stack: the BUILT app (`npm run build`; package.json main = dist/src/...) in the local Functions
 * host with its Durable backend, against Azurite (in memory, free ports) and the partner API simulator (free port).
 * Settings are short so runs finish in seconds; a test file passes only what it changes.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import type { CloudEvent } from '../../../src/events/cloudEvent';
import type { CompletionData, RejectedData } from '../../../src/golive/completionEvent';
import { createDurableExtension } from '../../../tools/host/durable';
import { type FunctionsHost, startHost } from '../../../tools/host/host';
import { type OfferScenario, type RunningSimulator, startSimulator } from '../../../tools/simulator';
import { peekAll, type RunningAzurite, startAzurite } from '../../support/azurite';
import { testAppSettings } from '../../support/hostProcess';
import { waitFor } from '../../support/wait';

export const APP_DIR = path.resolve(__dirname, '../../..');
export const EVENTS_QUEUE = 'golive-events';

export type AnyEvent = CloudEvent<CompletionData> | CloudEvent<RejectedData>;

export interface GoLiveStackOptions {
  /** Durable task hub of this test file. */
  hubName: string;
  /** The simulator's default go-live duration. */
  durationMs?: number;
  /** Offers to register in the simulator, with their scenarios. */
  offers?: [publisherId: string, offerId: string, scenario?: Partial<OfferScenario>][];
  /** Settings over the stack's defaults (a function of the simulator's URL where one depends on it). */
  env?: Record<string, string> | ((simulatorUrl: string) => Record<string, string>);
  /** Require this function key on the app's routes, as Azure does (default: none, as Core Tools). */
  functionKey?: string;
}

export interface GoLiveStack {
  azurite: RunningAzurite;
  sim: RunningSimulator;
  host: FunctionsHost;
  /** The host's base URL. */
  base: string;
  /** Every event on `golive-events` (peeks see at most 32 messages: give each scenario its own offer). */
  events(): Promise<AnyEvent[]>;
  /** Waits for the offer's completion event. */
  completionFor(publisherId: string, offerId: string, what?: string): Promise<CloudEvent<CompletionData>>;
  close(): Promise<void>;
}

export async function startGoLiveStack(options: GoLiveStackOptions): Promise<GoLiveStack> {
  if (!existsSync(path.join(APP_DIR, 'dist/src/index.js'))) {
    throw new Error('Build the app first: npm run build (npm test and npm run test:e2e do).');
  }
  const azurite = await startAzurite({ inMemory: true });
  const sim = await startSimulator({ defaults: { durationMs: options.durationMs ?? 3_000 } });
  for (const [publisherId, offerId, scenario] of options.offers ?? [])
    sim.admin.addOffer(publisherId, offerId, scenario);
  const host = await startHost({
    appDir: APP_DIR,
    port: 0,
    extensions: [createDurableExtension({ hubName: options.hubName })],
    env: testAppSettings(
      azurite.connectionString,
      sim.url,
      typeof options.env === 'function' ? options.env(sim.url) : options.env,
    ),
    hostJson: { extensions: { queues: { maxPollingInterval: '00:00:00.250', visibilityTimeout: '00:00:01' } } },
    logLevel: 'warning',
    logSink: () => undefined,
    ...(options.functionKey ? { functionKey: options.functionKey } : {}),
  });

  const events = async (): Promise<AnyEvent[]> =>
    (await peekAll(azurite.connectionString, EVENTS_QUEUE)).map((text) => JSON.parse(text) as AnyEvent);

  return {
    azurite,
    sim,
    host,
    base: host.baseUrl,
    events,
    completionFor: (publisherId, offerId, what) =>
      waitFor(
        async () =>
          (await events()).find(
            (e): e is CloudEvent<CompletionData> =>
              e.type !== 'golive.rejected' && e.source === `/publishers/${publisherId}/offers/${offerId}`,
          ),
        { timeoutMs: 90_000, intervalMs: 250, what: what ?? `the completion event of ${publisherId}/${offerId}` },
      ),
    close: async () => {
      await host.stop();
      await sim.close();
      await azurite.close();
    },
  };
}
