/**
 * The contract fixtures (`test/fixtures/partner-api/*.json`): partner API answers written from Microsoft's documented
 * samples and the shapes public clients parse, each naming its source. Both adapters' unit tests and the simulator's
 * shape test read them, so the client, the simulator and the record cannot drift apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURE_DIR = path.resolve(__dirname, '../../fixtures/partner-api');

export interface ContractFixture {
  /** What the answer is and where the public record shows it, in our words. */
  description: string;
  /** The public sources (docs pages, repositories and files). */
  source: string;
  /** Paths (as `shapeOf` writes them) a real answer may leave out. */
  optional?: string[];
  status: number;
  body: unknown;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function fixture(name: string): ContractFixture {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8')) as ContractFixture;
}

/** The body of a fixture, as a fresh copy. */
export function body<T = object>(name: string): T {
  return structuredClone(fixture(name).body) as T;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * The shape of a JSON value as a set of `path:type` entries; array elements share the path `[]` (their shapes are
 * merged), so a list's shape is what any of its entries shows.
 */
export function shapeOf(value: unknown, at = '$', out = new Set<string>()): Set<string> {
  out.add(`${at}:${kind(value)}`);
  if (Array.isArray(value)) {
    for (const item of value) shapeOf(item, `${at}[]`, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) shapeOf(v, `${at}.${k}`, out);
  }
  return out;
}

/** The `path:type` entries of the fixture that `actual` lacks (the fixture's `optional` paths excepted). */
export function missingShape(name: string, actual: unknown): string[] {
  const f = fixture(name);
  const have = shapeOf(actual);
  const optional = f.optional ?? [];
  return [...shapeOf(f.body)].filter(
    (entry) => !have.has(entry) && !optional.some((o) => entry.startsWith(`$.${o}:`) || entry.startsWith(`$.${o}.`)),
  );
}
