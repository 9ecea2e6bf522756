/**
 * The partner API simulator: a real HTTP server that behaves as reference/partner-api.md documents the Cloud
 * Partner Portal API and the Product Ingestion API, with per-offer fault scenarios. Used by tests and `npm start`.
 *
 * @example
 * const sim = await startSimulator({ defaults: { durationMs: 500 } });
 * sim.admin.setScenario('contoso', 'contoso-vm-offer', { throttle: { count: 2, retryAfterSeconds: 1 } });
 * // ... point PARTNER_API_BASE_URL at sim.url ...
 * await sim.close();
 */
import { stableGuid, submissionNumbersFor } from './state';

export { InvalidScenarioError } from './admin';
export { CPP_API_VERSION } from './cpp';
export { PI_BASE_PATH } from './productIngestion';
export { DEFAULT_TOKEN, PortInUseError, startSimulator } from './server';
export { DEFAULT_SCENARIO, SEEDED_OFFERS, UnknownOfferError } from './state';
export type {
  OfferScenario,
  RecordedRequest,
  RequestFilter,
  RunningSimulator,
  ScenarioOutcome,
  ScenarioPatch,
  SimulatorAdmin,
  SimulatorOptions,
} from './types';
export { type Variant, variantFor, variantNamed, VARIANTS } from './variants';

/** The Product Ingestion product GUID the simulator gives an offer (its durable id is `product/<guid>`). */
export function productGuidFor(offerId: string): string {
  return stableGuid(`product:${offerId}`);
}

/**
 * The Product Ingestion submission ids the simulator gives an offer's product: the version live before any go-live
 * and the preview to push (`submission/<guid>/<19-digit number>`).
 */
export function submissionIdsFor(offerId: string): { previousLive: string; preview: string } {
  const guid = productGuidFor(offerId);
  const n = submissionNumbersFor(offerId);
  return { previousLive: `submission/${guid}/${n.previousLive}`, preview: `submission/${guid}/${n.preview}` };
}
