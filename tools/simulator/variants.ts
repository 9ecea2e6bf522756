/**
 * Named variations of how the partner APIs answer, one per shape the public record shows (docs/partner-apis.md),
 * each a scenario patch. `--variant NAME` gives every offer one; `--variants SEED` draws one per offer from a seed
 * (the same seed and ids always draw the same); `PUT /_admin/offers/{publisherId}/{offerId}/variant/{name}` sets one.
 */
import type { ScenarioPatch } from './types';

export interface Variant {
  name: string;
  /** Which API the variation is about. */
  api: 'cpp' | 'productIngestion';
  /** What the partner API does differently, in one line. */
  summary: string;
  patch: ScenarioPatch;
}

/** The default answers, for comparison (and so a draw can keep an offer plain). */
const PLAIN: Variant = { name: 'plain', api: 'cpp', summary: 'the default answers', patch: {} };

export const VARIANTS: readonly Variant[] = [
  PLAIN,
  {
    name: 'paged-lists',
    api: 'productIngestion',
    summary: 'product and submission lists answer one entry per page behind @nextLink',
    patch: { pageSize: 1 },
  },
  {
    name: 'paged-lists-relative',
    api: 'productIngestion',
    summary: 'as paged-lists, with @nextLink relative to the API base',
    patch: { pageSize: 1, nextLinkForm: 'relative' },
  },
  {
    name: 'job-detail-empty',
    api: 'productIngestion',
    summary: 'GET configure/{jobId} lists no resources once the job completed',
    patch: { jobDetail: 'empty' },
  },
  {
    name: 'job-detail-fails',
    api: 'productIngestion',
    summary: 'GET configure/{jobId} answers 500',
    patch: { jobDetail: 'fails' },
  },
  {
    name: 'no-preview-entry',
    api: 'productIngestion',
    summary: 'the submission list has no preview entry; the live entry (completed, succeeded) stands for both',
    patch: { noPreviewEntry: true },
  },
  {
    name: 'late-listing',
    api: 'productIngestion',
    summary: 'the pushed submission is listed as live only 3 s after its job completed',
    patch: { lateListingMs: 3_000 },
  },
  {
    name: 'upper-case-keys',
    api: 'productIngestion',
    summary: 'jobID and externalID spelled as older samples do',
    patch: { jobIdKey: 'jobID', identityKey: 'externalID' },
  },
  {
    name: 'extra-fields',
    api: 'productIngestion',
    summary: 'unknown extra fields on every answer object',
    patch: { extraFields: true },
  },
  ...(
    ['neverPublished', 'notStarted', 'waitingForPublisherReview', 'running', 'succeeded', 'canceled', 'failed'] as const
  ).map((top): Variant => ({
    name: `cpp-signoff-${top}`,
    api: 'cpp',
    summary: `the offer status reads "${top}" while its sign-off step waits for the publisher`,
    patch: { offerTopStatus: top },
  })),
  {
    name: 'cpp-operation-location',
    api: 'cpp',
    summary: 'the Go Live answer names its operation in an absolute Operation-Location header',
    patch: { locationHeader: 'operation-location-absolute' },
  },
  {
    name: 'cpp-extra-fields',
    api: 'cpp',
    summary: 'unknown extra fields on every answer object',
    patch: { extraFields: true },
  },
  {
    name: 'slow',
    api: 'cpp',
    summary: 'a go-live that runs for 10 minutes (either API)',
    patch: { durationMs: 600_000 },
  },
  {
    name: 'fails',
    api: 'cpp',
    summary: 'a go-live that fails in the steps after sign-off (either API)',
    patch: { outcome: 'failed' },
  },
];

/** @throws Error naming the known variants for an unknown name */
export function variantNamed(name: string): Variant {
  const found = VARIANTS.find((v) => v.name === name);
  if (!found) throw new Error(`Unknown variant "${name}"; known: ${VARIANTS.map((v) => v.name).join(', ')}.`);
  return found;
}

/** FNV-1a over the text: a 32-bit hash, stable across runs and platforms. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a small seeded generator, [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The variant an offer draws from `seed`: the same seed and ids always give the same one, whatever order offers
 * are added in. The slow and failing ones are left out of draws (a draw varies the shapes, not the outcome).
 */
export function variantFor(seed: number, publisherId: string, offerId: string): Variant {
  const pool = VARIANTS.filter((v) => v.name !== 'slow' && v.name !== 'fails');
  const random = seededRandom(hash32(`${seed}:${publisherId}/${offerId}`));
  return pool[Math.floor(random() * pool.length)] ?? PLAIN;
}
