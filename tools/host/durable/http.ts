/**
 * The durable HTTP management API under `/runtime/webhooks/durabletask/`, as the Durable extension's
 * HttpApiHandler serves it (routes `orchestrators/{functionName}/{instanceId?}`, `instances/{instanceId?}/{operation?}`,
 * `instances/{instanceId}/raiseEvent/{eventName}`). The same routes serve the client's `rpcBaseUrl` form,
 * because rpcBaseUrl points at this prefix.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { DurableEngine, InstanceExistsError, UnknownOrchestratorError } from './engine';
import { EventTypeName, type HistoryEvent, type InstanceState, isTerminal, type RuntimeStatus } from './types';

export const WEBHOOK_PREFIX = '/runtime/webhooks/durabletask/';

const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
];

export interface ClientUrls {
  base: string;
  query: string;
}

export function managementPayload(urls: ClientUrls, instanceId: string): Record<string, string> {
  const id = encodeURIComponent(instanceId);
  const i = `${urls.base}/instances/${id}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${i}?${urls.query}`,
    sendEventPostUri: `${i}/raiseEvent/{eventName}?${urls.query}`,
    terminatePostUri: `${i}/terminate?reason={text}&${urls.query}`,
    rewindPostUri: `${i}/rewind?reason={text}&${urls.query}`,
    purgeHistoryDeleteUri: `${i}?${urls.query}`,
    restartPostUri: `${i}/restart?${urls.query}`,
    suspendPostUri: `${i}/suspend?reason={text}&${urls.query}`,
    resumePostUri: `${i}/resume?reason={text}&${urls.query}`,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function message(res: ServerResponse, status: number, text: string): void {
  send(res, status, { Message: text });
}

/** `yyyy-MM-ddTHH:mm:ssZ`, the format of StatusResponsePayload times. */
function fmt(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function bool(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  return v.toLowerCase() === 'true';
}

function historyView(events: HistoryEvent[], withOutput: boolean): Record<string, unknown>[] {
  return events
    .filter((e) => e.EventType !== 12 && e.EventType !== 13)
    .map((e) => {
      const o: Record<string, unknown> = {
        EventType: EventTypeName[e.EventType] ?? String(e.EventType),
        Timestamp: e.Timestamp,
      };
      if (e.EventId >= 0) o['EventId'] = e.EventId;
      if (e.Name !== undefined)
        o[e.EventType === 0 || e.EventType === 4 || e.EventType === 7 ? 'FunctionName' : 'Name'] = e.Name;
      if (e.TaskScheduledId !== undefined) o['TaskScheduledId'] = e.TaskScheduledId;
      if (e.TimerId !== undefined) o['TimerId'] = e.TimerId;
      if (e.FireAt !== undefined) o['FireAt'] = e.FireAt;
      if (e.InstanceId !== undefined) o['InstanceId'] = e.InstanceId;
      if (e.OrchestrationStatus !== undefined) o['OrchestrationStatus'] = e.OrchestrationStatus;
      if (e.Reason !== undefined) o['Reason'] = e.Reason;
      if (e.FailureDetails !== undefined) o['FailureDetails'] = e.FailureDetails;
      if (withOutput) {
        if (e.Result !== undefined) o['Result'] = parseJson(e.Result);
        if (e.Input !== undefined) o['Input'] = parseJson(e.Input);
      }
      return o;
    });
}

export class DurableHttpApi {
  constructor(
    private readonly engine: DurableEngine,
    private readonly urls: () => ClientUrls,
  ) {}

  statusPayload(st: InstanceState, showInput: boolean, history?: Record<string, unknown>[]): Record<string, unknown> {
    const p: Record<string, unknown> = {
      name: st.name,
      instanceId: st.instanceId,
      runtimeStatus: st.runtimeStatus,
      input: showInput ? parseJson(st.input) : null,
      customStatus: parseJson(st.customStatus),
      output: parseJson(st.output),
      createdTime: fmt(st.createdTime),
      lastUpdatedTime: fmt(st.lastUpdatedTime),
    };
    if (history) p['historyEvents'] = history;
    return p;
  }

  handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    try {
      await this.route(req, res, url);
    } catch (e) {
      message(res, 500, e instanceof Error ? e.message : String(e));
    }
  };

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const rest = url.pathname.slice(url.pathname.indexOf(WEBHOOK_PREFIX) + WEBHOOK_PREFIX.length);
    const seg = rest.split('/').map((s) => decodeURIComponent(s));
    const method = (req.method ?? 'GET').toUpperCase();
    const q = url.searchParams;
    if (seg[0] === 'orchestrators' && seg[1]) {
      if (method !== 'POST') return message(res, 404, 'Not found');
      return this.start(req, res, seg[1], seg[2] || undefined, q);
    }
    if (seg[0] === 'entities') return message(res, 501, 'Durable entities are not supported by the local host.');
    if (seg[0] !== 'instances') return message(res, 404, 'Not found');
    const id = seg[1] ?? '';
    const op = seg[2] ?? '';
    if (!id) {
      if (method === 'GET') return this.list(req, res, q);
      if (method === 'DELETE') return this.purgeBy(res, q);
      return message(res, 404, 'Not found');
    }
    if (!op) {
      if (method === 'GET') return this.status(res, id, q);
      if (method === 'DELETE') {
        const st = await this.engine.store.getInstance(id);
        if (!st) return message(res, 404, `No instance with ID '${id}' found.`);
        if (!isTerminal(st.runtimeStatus)) {
          return message(
            res,
            412,
            `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${id} has status ${st.runtimeStatus}`,
          );
        }
        const deleted = await this.engine.purge(id);
        return deleted
          ? send(res, 200, { instancesDeleted: 1 })
          : message(res, 404, `No instance with ID '${id}' found.`);
      }
      return message(res, 404, 'Not found');
    }
    if (method !== 'POST') return message(res, 404, 'Not found');
    const st = await this.engine.store.getInstance(id);
    if (op === 'raiseEvent' && seg[3]) {
      if (!st) return message(res, 404, `No instance with ID '${id}'.`);
      if (isTerminal(st.runtimeStatus)) return send(res, 410);
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') return message(res, 400, 'Only application/json request content is supported');
      const body = await readBody(req);
      let data: string | undefined;
      if (body.trim() !== '') {
        try {
          data = JSON.stringify(JSON.parse(body));
        } catch {
          return message(res, 400, 'Invalid JSON content');
        }
      }
      await this.engine.raiseEvent(id, seg[3], data);
      return send(res, 202);
    }
    if (op === 'terminate' || op === 'suspend' || op === 'resume') {
      if (!st) return message(res, 404, `No instance with ID '${id}'.`);
      if (isTerminal(st.runtimeStatus)) return send(res, 410);
      await this.engine.sendControl(op, id, q.get('reason') ?? undefined);
      return send(res, 202);
    }
    if (op === 'rewind') {
      if (!st) return message(res, 404, `No instance with ID '${id}'.`);
      if (st.runtimeStatus !== 'Failed') {
        return message(
          res,
          412,
          `This orchestration has status ${st.runtimeStatus}, but only orchestrations in the "Failed" state can be rewound.`,
        );
      }
      return message(res, 501, 'Rewind is not supported by the underlying storage provider.');
    }
    if (op === 'restart') {
      if (!st) return message(res, 400, 'InstanceId does not match a valid orchestration instance.');
      try {
        const newId = await this.engine.startNew(
          st.name,
          q.get('restartWithNewInstanceId') === 'true' ? undefined : id,
          st.input,
          st.version || undefined,
        );
        return this.checkStatus(res, newId);
      } catch (e) {
        if (e instanceof InstanceExistsError)
          return message(res, 409, 'A non-terminal instance with this instance ID already exists.');
        throw e;
      }
    }
    return message(res, 404, 'Not found');
  }

  private checkStatus(res: ServerResponse, id: string): void {
    const payload = managementPayload(this.urls(), id);
    send(res, 202, payload, { location: payload['statusQueryGetUri'] ?? '', 'retry-after': '10' });
  }

  private async start(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    instanceId: string | undefined,
    q: URLSearchParams,
  ): Promise<void> {
    const body = await readBody(req);
    let input: string | undefined;
    if (body.trim() !== '') {
      try {
        input = JSON.stringify(JSON.parse(body));
      } catch {
        return message(res, 400, 'Invalid JSON content');
      }
    }
    let id: string;
    try {
      id = await this.engine.startNew(name, instanceId, input, q.get('version') ?? undefined);
    } catch (e) {
      if (e instanceof UnknownOrchestratorError) return message(res, 400, e.message);
      if (e instanceof InstanceExistsError) return message(res, 409, e.message);
      throw e;
    }
    const timeout = Number(q.get('timeout'));
    const interval = Number(q.get('pollingInterval'));
    if (timeout > 0 && interval > 0) {
      const until = Date.now() + timeout * 1000;
      for (;;) {
        const st = await this.engine.store.getInstance(id);
        if (st && st.runtimeStatus === 'Completed') return send(res, 200, parseJson(st.output));
        if (st && isTerminal(st.runtimeStatus)) return send(res, 200, this.statusPayload(st, true));
        if (Date.now() >= until) break;
        await new Promise((r) => setTimeout(r, Math.min(interval * 1000, until - Date.now())));
      }
    }
    this.checkStatus(res, id);
  }

  private async status(res: ServerResponse, id: string, q: URLSearchParams): Promise<void> {
    const st = await this.engine.store.getInstance(id);
    if (!st) return message(res, 404, `No instance with ID '${id}' found.`);
    let history: Record<string, unknown>[] | undefined;
    if (bool(q.get('showHistory')) === true) {
      history = historyView(
        await this.engine.getHistory(id, st.executionId),
        bool(q.get('showHistoryOutput')) === true,
      );
    }
    const payload = this.statusPayload(st, bool(q.get('showInput')) !== false, history);
    const running: RuntimeStatus[] = ['Running', 'Pending', 'ContinuedAsNew', 'Suspended'];
    if (running.includes(st.runtimeStatus)) {
      const loc = managementPayload(this.urls(), id)['statusQueryGetUri'] ?? '';
      return send(res, 202, payload, { location: loc, 'retry-after': '5' });
    }
    if (st.runtimeStatus === 'Failed' && bool(q.get('returnInternalServerErrorOnFailure')) === true)
      return send(res, 500, payload);
    send(res, 200, payload);
  }

  private filterFrom(q: URLSearchParams): {
    createdTimeFrom?: Date;
    createdTimeTo?: Date;
    runtimeStatus?: RuntimeStatus[];
    instanceIdPrefix?: string;
  } {
    const f: {
      createdTimeFrom?: Date;
      createdTimeTo?: Date;
      runtimeStatus?: RuntimeStatus[];
      instanceIdPrefix?: string;
    } = {};
    const from = q.get('createdTimeFrom');
    const to = q.get('createdTimeTo');
    if (from) f.createdTimeFrom = new Date(from);
    if (to) f.createdTimeTo = new Date(to);
    const rs = q.get('runtimeStatus');
    if (rs) {
      f.runtimeStatus = rs
        .split(',')
        .map((s) => s.trim())
        .map((s) => RUNTIME_STATUSES.find((x) => x.toLowerCase() === s.toLowerCase()))
        .filter((s): s is RuntimeStatus => s !== undefined);
    }
    const prefix = q.get('instanceIdPrefix');
    if (prefix) f.instanceIdPrefix = prefix;
    return f;
  }

  private async list(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    const token = req.headers['x-ms-continuation-token'];
    const top = Number(q.get('top'));
    const page = await this.engine.store.listInstances({
      ...this.filterFrom(q),
      ...(top > 0 ? { top } : {}),
      ...(typeof token === 'string' && token ? { continuationToken: token } : {}),
    });
    const showInput = bool(q.get('showInput')) !== false;
    send(
      res,
      200,
      page.items.map((s) => this.statusPayload(s, showInput)),
      page.continuationToken ? { 'x-ms-continuation-token': page.continuationToken } : {},
    );
  }

  private async purgeBy(res: ServerResponse, q: URLSearchParams): Promise<void> {
    const filter = this.filterFrom(q);
    if (!filter.createdTimeFrom) return message(res, 400, 'createdTimeFrom is required.');
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.engine.store.listInstances({
        ...filter,
        top: 500,
        ...(token ? { continuationToken: token } : {}),
      });
      for (const st of page.items) if (await this.engine.purge(st.instanceId)) deleted++;
      token = page.continuationToken;
    } while (token);
    if (deleted === 0) return message(res, 404, 'No instances matched the filter.');
    send(res, 200, { instancesDeleted: deleted });
  }
}
