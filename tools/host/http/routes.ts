/**
 * HTTP route templates as the Functions host (ASP.NET Core routing) reads them: literal segments (matched without
 * case), `{name}`, optional `{name?}`, catch-all `{*rest}`, defaults `{name=value}` and inline constraints
 * `{id:int}`, `{name:alpha}`, `{x:int?}`, `{code:length(3)}`, `{n:range(1,9)}`, `{s:regex(^a+$)}`. The default
 * route is the function name; host.json `extensions.http.routePrefix` (default `api`) goes in front.
 */
import { HostConfigError } from '../errors';

type Constraint = (value: string) => boolean;

interface ParamSegment {
  kind: 'param';
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: Constraint[];
}

interface LiteralSegment {
  kind: 'literal';
  text: string;
}

type Segment = ParamSegment | LiteralSegment;

export interface CompiledRoute {
  template: string;
  segments: Segment[];
  /** Sort key: literal-heavy routes first (ASP.NET route precedence, simplified). */
  precedence: number;
}

const INT = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/;
const GUID = /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

function constraintFor(spec: string, template: string): Constraint {
  const m = /^([a-z]+)(?:\((.*)\))?$/i.exec(spec);
  if (!m) throw new HostConfigError(`Route "${template}": bad constraint "${spec}".`);
  const name = m[1]!.toLowerCase();
  const arg = m[2];
  const nums = (arg ?? '').split(',').map((s) => Number(s.trim()));
  switch (name) {
    case 'int':
      return (v) => INT.test(v) && Math.abs(Number(v)) <= 2 ** 31;
    case 'long':
      return (v) => INT.test(v);
    case 'float':
    case 'double':
    case 'decimal':
      return (v) => DECIMAL.test(v);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return (v) => GUID.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'minlength':
      return (v) => v.length >= nums[0]!;
    case 'maxlength':
      return (v) => v.length <= nums[0]!;
    case 'length':
      return nums.length > 1 ? (v) => v.length >= nums[0]! && v.length <= nums[1]! : (v) => v.length === nums[0];
    case 'min':
      return (v) => INT.test(v) && Number(v) >= nums[0]!;
    case 'max':
      return (v) => INT.test(v) && Number(v) <= nums[0]!;
    case 'range':
      return (v) => INT.test(v) && Number(v) >= nums[0]! && Number(v) <= nums[1]!;
    case 'regex': {
      const re = new RegExp(arg ?? '', 'i');
      return (v) => re.test(v);
    }
    default:
      throw new HostConfigError(`Route "${template}": unknown constraint "${name}".`);
  }
}

/** Splits `name:c1:c2(x)` on colons outside parentheses. */
function splitConstraints(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

function parseParam(body: string, template: string): ParamSegment {
  let text = body;
  let catchAll = false;
  if (text.startsWith('**')) {
    catchAll = true;
    text = text.slice(2);
  } else if (text.startsWith('*')) {
    catchAll = true;
    text = text.slice(1);
  }
  let optional = false;
  if (text.endsWith('?')) {
    optional = true;
    text = text.slice(0, -1);
  }
  let defaultValue: string | undefined;
  const eq = text.indexOf('=');
  if (eq >= 0 && !text.slice(0, eq).includes('(')) {
    defaultValue = text.slice(eq + 1);
    text = text.slice(0, eq);
  }
  const [name, ...specs] = splitConstraints(text);
  if (!name || !/^[A-Za-z_][\w]*$/.test(name))
    throw new HostConfigError(`Route "${template}": bad parameter "{${body}}".`);
  return {
    kind: 'param',
    name,
    optional,
    catchAll,
    defaultValue,
    constraints: specs.map((s) => constraintFor(s, template)),
  };
}

export function compileRoute(template: string): CompiledRoute {
  const clean = template.replace(/^\/+|\/+$/g, '');
  const segments: Segment[] = [];
  let precedence = 0;
  for (const part of clean ? clean.split('/') : []) {
    const m = /^\{(.+)\}$/.exec(part);
    if (m) {
      const p = parseParam(m[1]!, template);
      segments.push(p);
      precedence += p.catchAll ? 0 : p.constraints.length ? 2 : 1;
    } else if (part.includes('{')) {
      throw new HostConfigError(
        `Route "${template}": a segment mixing text and parameters is not supported by the local host.`,
      );
    } else {
      segments.push({ kind: 'literal', text: part });
      precedence += 4;
    }
  }
  return { template: clean, segments, precedence };
}

/** Route values when `pathSegments` (decoded, without the prefix) match, else undefined. */
export function matchRoute(route: CompiledRoute, pathSegments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of route.segments) {
    if (seg.kind === 'literal') {
      const value = pathSegments[i];
      if (value === undefined || value.toLowerCase() !== seg.text.toLowerCase()) return undefined;
      i++;
      continue;
    }
    if (seg.catchAll) {
      const rest = pathSegments.slice(i).join('/');
      i = pathSegments.length;
      if (rest === '' && !seg.optional && seg.defaultValue === undefined) return undefined;
      const value = rest === '' ? seg.defaultValue : rest;
      if (value !== undefined) params[seg.name] = value;
      continue;
    }
    const value = pathSegments[i];
    if (value === undefined || value === '') {
      if (seg.defaultValue !== undefined) params[seg.name] = seg.defaultValue;
      else if (!seg.optional) return undefined;
      continue;
    }
    if (!seg.constraints.every((c) => c(value))) return undefined;
    params[seg.name] = value;
    i++;
  }
  return i === pathSegments.length ? params : undefined;
}

/** `/api/a/b` with prefix `api` → `['a','b']`; undefined when the prefix does not match. */
export function stripPrefix(pathname: string, routePrefix: string): string[] | undefined {
  const segments = pathname.split('/').filter((s) => s !== '');
  const prefix = routePrefix.split('/').filter((s) => s !== '');
  for (let i = 0; i < prefix.length; i++) {
    if (segments[i]?.toLowerCase() !== prefix[i]!.toLowerCase()) return undefined;
  }
  try {
    return segments.slice(prefix.length).map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}
