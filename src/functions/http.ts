import type { HttpRequest } from '@azure/functions';

/** Helpers of the HTTP registrations (this file registers no function). */

/** Status URLs on the origin the caller used. */
export function statusUrlFor(request: HttpRequest): (publisherId: string, offerId: string) => string {
  const origin = new URL(request.url).origin;
  return (publisherId, offerId) => `${origin}/api/golive/${publisherId}/${offerId}`;
}
