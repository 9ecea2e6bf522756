/**
 * The HTTP API's answers to the console's and the `golive` command's actions, in plain words, and the small
 * formatting both share (durations, countdowns). Runs in the browser and in Node: no imports but the run reader.
 */
import { readApiError } from './runModel';

export type Action = 'goLive' | 'cancel' | 'read';

export interface PlainAnswer {
  ok: boolean;
  text: string;
}

/** What an answer of the HTTP API means for the person who asked. */
export function plainAnswer(action: Action, offer: string, status: number, body: unknown): PlainAnswer {
  const error = readApiError(body);
  const reason = error ? `${error.message} (${error.code})` : `HTTP ${status}`;
  if (status === 401 || status === 403) {
    return {
      ok: false,
      text: 'The app refused the key: open the console with the function key (?code=...) or pass --key / GOLIVE_KEY.',
    };
  }
  if (action === 'goLive') {
    if (status === 202) {
      const requestId =
        typeof (body as { requestId?: unknown })?.requestId === 'string'
          ? (body as { requestId: string }).requestId
          : '';
      return {
        ok: true,
        text: `Go-live requested for ${offer}${requestId ? ` (request ${requestId})` : ''}. It starts a run, or joins the one already running, within seconds.`,
      };
    }
    return { ok: false, text: `The go-live request for ${offer} was refused: ${reason}.` };
  }
  if (action === 'cancel') {
    if (status === 202) {
      return {
        ok: true,
        text: `Cancel sent to the run of ${offer}. It shows canceling, then ends canceled once the partner API has been told.`,
      };
    }
    if (status === 409)
      return { ok: false, text: `Nothing to cancel: the last go-live of ${offer} has already ended.` };
    if (status === 404) return { ok: false, text: `Nothing to cancel: ${offer} has never gone live through this app.` };
    return { ok: false, text: `The cancel of ${offer} failed: ${reason}.` };
  }
  if (status === 404) return { ok: false, text: `${offer} has never gone live through this app.` };
  if (status >= 200 && status < 300) return { ok: true, text: 'OK' };
  return { ok: false, text: `Reading ${offer || 'the runs'} failed: ${reason}.` };
}

/** `1 h 02 min`, `3 min 05 s`, `12 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** `in 12 s`, `due now`, or '' when there is no next check. */
export function countdown(nextCheckAt: string | null, now: number): string {
  if (nextCheckAt === null) return '';
  const at = Date.parse(nextCheckAt);
  if (Number.isNaN(at)) return '';
  const left = (at - now) / 1000;
  return left <= 0.5 ? 'due now' : `in ${formatDuration(left)}`;
}

/** A text progress bar: `[#######-------------] 35%`. */
export function textBar(progress: number | null, width = 20): string {
  if (progress === null) return `[${'-'.repeat(width)}]`;
  const filled = Math.round((Math.max(0, Math.min(100, progress)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(progress)}%`;
}
