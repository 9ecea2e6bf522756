/**
 * `POST /admin/functions/{name}` with `{"input": "<text>"}`: runs a non-HTTP function by hand, as the Functions
 * host's admin API does locally (Core Tools documents it for timer and queue functions). Answers 202 Accepted
 * and runs the function in the background; 404 for unknown, disabled, HTTP or extension-owned functions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { RawHttpHandler, RpcTypedData } from '../extension';
import type { HostInvokeOptions } from '../invoke';
import type { HostFunction } from '../registry';

export const ADMIN_FUNCTIONS_PREFIX = '/admin/functions/';

export interface AdminInvokeOptions {
  /** The function when it can be run by hand, else undefined. */
  find(name: string): HostFunction | undefined;
  /** The trigger data for `input` (timer functions get a TimerInfo payload). */
  triggerData(fn: HostFunction, input: string): RpcTypedData;
  invoke(fn: HostFunction, data: RpcTypedData, options: HostInvokeOptions): Promise<unknown>;
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function end(res: ServerResponse, status: number, message?: string): void {
  res.writeHead(status, message ? { 'content-type': 'text/plain; charset=utf-8' } : {});
  res.end(message);
}

export function adminInvokeHandler(options: AdminInvokeOptions): RawHttpHandler {
  return async (req, res, url) => {
    const name = decodeURIComponent(url.pathname.slice(ADMIN_FUNCTIONS_PREFIX.length)).replace(/\/+$/, '');
    if ((req.method ?? 'GET').toUpperCase() !== 'POST') return end(res, 405);
    const fn = options.find(name);
    if (!fn) return end(res, 404);
    const text = await readText(req);
    let input = '';
    if (text.trim()) {
      try {
        const parsed = JSON.parse(text) as { input?: unknown };
        input = typeof parsed.input === 'string' ? parsed.input : JSON.stringify(parsed.input ?? '');
      } catch {
        return end(res, 400, 'Body must be JSON: {"input": "..."}');
      }
    }
    void options
      .invoke(fn, options.triggerData(fn, input), {
        reason: 'This function was programmatically called via the host APIs.',
      })
      .catch(() => undefined); // the invocation logs its own failure
    end(res, 202);
  };
}
