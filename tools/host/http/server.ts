/**
 * The host's HTTP server: function routes under host.json `extensions.http.routePrefix`, extension handlers ahead
 * of them (the Durable webhooks), and a few of the host's own endpoints. Requests become the worker's RpcHttpData
 * (`{http:{method,url,headers,params,body}}`); the function's http output becomes the response. HTTP streaming is
 * off, as in the app (`app.setup({ enableHttpStream: false })`). Like Core Tools, no function keys are required
 * locally whatever the `authLevel`, unless a `functionKey` is given (as `func start --enableAuth`): then a route
 * with `authLevel` `function` or `admin` answers 401 without that key in `?code=` or `x-functions-key`, as in Azure.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { PortInUseError } from '../errors';
import type { InvokeResult, RawHttpHandler, RpcTypedData } from '../extension';
import type { HostInvokeOptions } from '../invoke';
import type { Logger } from '../logger';
import type { HostFunction } from '../registry';
import { type CompiledRoute, compileRoute, matchRoute, stripPrefix } from './routes';

export type HttpInvoke = (fn: HostFunction, data: RpcTypedData, options: HostInvokeOptions) => Promise<InvokeResult>;

interface HttpRoute {
  fn: HostFunction;
  route: CompiledRoute;
  /** Upper-case methods; empty = every method. */
  methods: string[];
}

export interface HttpServerOptions {
  routePrefix: string;
  logger: Logger;
  invoke: HttpInvoke;
  /** A hint for the port-in-use error (which setting or flag moves the port). */
  portHint?: string;
  /** When set, `function`/`admin` routes require this key (`?code=` or `x-functions-key`). */
  functionKey?: string;
}

export function isHttpFunction(fn: HostFunction): boolean {
  return fn.trigger.type.toLowerCase() === 'httptrigger';
}

interface RpcHttpResponse {
  statusCode?: string | number;
  headers?: Record<string, string>;
  cookies?: RpcCookie[];
  body?: RpcTypedData;
}

interface RpcCookie {
  name?: string;
  value?: string;
  domain?: { value?: string } | null;
  path?: { value?: string } | null;
  expires?: { value?: { seconds?: number | string } } | null;
  secure?: { value?: boolean } | null;
  httpOnly?: { value?: boolean } | null;
  sameSite?: string;
  maxAge?: { value?: number } | null;
}

/** A Set-Cookie line from the library's RpcHttpCookie (library `src/converters/toRpcHttpCookie.ts`). */
function formatCookie(c: RpcCookie): string {
  let s = `${c.name ?? ''}=${c.value ?? ''}`;
  if (c.domain?.value) s += `; Domain=${c.domain.value}`;
  if (c.path?.value) s += `; Path=${c.path.value}`;
  if (c.expires?.value?.seconds !== undefined)
    s += `; Expires=${new Date(Number(c.expires.value.seconds) * 1000).toUTCString()}`;
  if (c.maxAge?.value !== undefined) s += `; Max-Age=${c.maxAge.value}`;
  if (c.secure?.value) s += '; Secure';
  if (c.httpOnly?.value) s += '; HttpOnly';
  if (c.sameSite === 'lax') s += '; SameSite=Lax';
  else if (c.sameSite === 'strict') s += '; SameSite=Strict';
  else if (c.sameSite === 'explicitNone') s += '; SameSite=None';
  return s;
}

function bodyBytes(body: RpcTypedData | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if ('bytes' in body) return Buffer.from(body.bytes);
  if ('stream' in body) return Buffer.from(body.stream);
  if ('string' in body) return Buffer.from(body.string, 'utf8');
  if ('json' in body) return Buffer.from(body.json, 'utf8');
  return Buffer.alloc(0);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class HttpServer {
  readonly #server: Server;
  #routes: HttpRoute[] = [];
  readonly #handlers: { prefix: string; handler: RawHttpHandler }[] = [];
  #port = 0;

  constructor(private readonly options: HttpServerOptions) {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        options.logger.log('error', 'Host.Http', `Request failed: ${(err as Error)?.message ?? String(err)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.#server.keepAliveTimeout = 5_000;
  }

  get port(): number {
    return this.#port;
  }

  setFunctions(functions: readonly HostFunction[]): void {
    const routes: HttpRoute[] = [];
    for (const fn of functions.filter(isHttpFunction)) {
      const route = typeof fn.trigger.route === 'string' && fn.trigger.route ? fn.trigger.route : fn.name;
      const methods = Array.isArray(fn.trigger.methods) ? fn.trigger.methods.map((m) => String(m).toUpperCase()) : [];
      routes.push({ fn, route: compileRoute(route), methods });
    }
    this.#routes = routes.sort((a, b) => b.route.precedence - a.route.precedence);
  }

  routeOf(fn: HostFunction): string | undefined {
    const r = this.#routes.find((x) => x.fn === fn);
    if (!r) return undefined;
    return [this.options.routePrefix, r.route.template].filter((s) => s).join('/');
  }

  methodsOf(fn: HostFunction): string[] {
    return this.#routes.find((x) => x.fn === fn)?.methods ?? [];
  }

  addHandler(pathPrefix: string, handler: RawHttpHandler): void {
    this.#handlers.push({ prefix: pathPrefix, handler });
    this.#handlers.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  async listen(port: number, host?: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.#server.off('listening', onListening);
        reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, this.options.portHint ?? '') : err);
      };
      const onListening = (): void => {
        this.#server.off('error', onError);
        resolve();
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      if (host) this.#server.listen(port, host);
      else this.#server.listen(port);
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    return this.#port;
  }

  /** Stops accepting connections, lets requests in flight finish (up to `graceMs`), then closes every socket. */
  async close(graceMs = 5_000): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    });
    await Promise.race([closed, grace]);
    clearTimeout(timer);
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? `localhost:${this.#port}`;
    const url = new URL(req.url ?? '/', `http://${host}`);
    const handler = this.#handlers.find((h) => url.pathname.startsWith(h.prefix));
    if (handler) return handler.handler(req, res, url);

    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/admin/host/status') return this.#json(res, 200, { state: 'Running' });
    if (url.pathname === '/' && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Your Functions 4.0 app is up and running (local host).\n');
      return;
    }

    const segments = stripPrefix(url.pathname, this.options.routePrefix);
    if (segments) {
      for (const r of this.#routes) {
        const params = matchRoute(r.route, segments);
        // A route whose method list excludes the request's method does not match: the host answers 404.
        if (params && (r.methods.length === 0 || r.methods.includes(method))) {
          if (!this.#authorized(r.fn, req, url)) {
            res.writeHead(401, { 'content-length': 0 });
            res.end();
            return;
          }
          return this.#invoke(r.fn, req, res, url, params);
        }
      }
    }
    res.writeHead(404);
    res.end();
  }

  #authorized(fn: HostFunction, req: IncomingMessage, url: URL): boolean {
    const required = this.options.functionKey;
    const level = typeof fn.trigger.authLevel === 'string' ? fn.trigger.authLevel.toLowerCase() : 'function';
    if (!required || level === 'anonymous') return true;
    const header = req.headers['x-functions-key'];
    const given = Buffer.from((Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? '');
    const expected = Buffer.from(required);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  async #invoke(
    fn: HostFunction,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    params: Record<string, string>,
  ): Promise<void> {
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const http: Record<string, unknown> = {
      method: req.method ?? 'GET',
      url: url.href,
      headers,
      params,
    };
    if (body.length) http.body = { bytes: new Uint8Array(body) };
    let result: InvokeResult;
    try {
      result = await this.options.invoke(fn, { http }, {});
    } catch {
      // A failed invocation is a plain 500 (the host does not return error details).
      res.writeHead(500);
      res.end();
      return;
    }
    const out = this.#httpOutput(fn, result);
    if (!out) {
      // No response set by the function.
      res.writeHead(204);
      res.end();
      return;
    }
    const status = Number(out.statusCode ?? 200) || 200;
    const headerList: [string, string | string[]][] = Object.entries(out.headers ?? {});
    const cookies = (out.cookies ?? []).map(formatCookie);
    if (cookies.length) headerList.push(['set-cookie', cookies]);
    const bytes = bodyBytes(out.body);
    res.statusCode = status;
    for (const [k, v] of headerList) res.setHeader(k, v);
    if (!res.hasHeader('content-length')) res.setHeader('content-length', bytes.length);
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }

  #httpOutput(fn: HostFunction, result: InvokeResult): RpcHttpResponse | undefined {
    const binding = Object.values(fn.bindings).find((b) => b.direction === 'out' && b.type.toLowerCase() === 'http');
    if (!binding) return undefined;
    const data =
      binding.name === '$return' ? result.returnValue : result.outputData.find((o) => o.name === binding.name)?.data;
    if (data && 'http' in data && typeof data.http === 'object' && data.http) return data.http;
    return undefined;
  }

  #json(res: ServerResponse, status: number, value: unknown): void {
    const text = JSON.stringify(value);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}
