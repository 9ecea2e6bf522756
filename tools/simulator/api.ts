/** What each simulated API module gives the server for one request. */
import type { SimRequest, SimResponse } from './http';
import type { OfferState, SimulatorState } from './state';

export interface ApiContext {
  state: SimulatorState;
  token: string;
  /** Primary origin, no trailing slash. */
  url: string;
  otherOriginUrl: string;
}

export interface Routed {
  api: 'cpp' | 'productIngestion';
  publisherId?: string;
  offerId?: string;
  /** Set when the request is about a known offer: its scenario's latency and fault counters apply. */
  offer?: OfferState;
  /** Produces the answer (and its effects, such as creating an operation). */
  respond(): SimResponse;
}

export type ApiModule = (req: SimRequest, ctx: ApiContext) => Routed;
