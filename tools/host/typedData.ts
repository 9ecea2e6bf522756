/** Helpers for RpcTypedData, the wire form of values between the host and the programming model. */
import type { RpcTypedData } from './extension';

export function stringData(value: string): RpcTypedData {
  return { string: value };
}

export function jsonData(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value) };
}

/** The JavaScript value a typed datum carries (JSON parsed where it is JSON). */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if ('string' in data) return data.string;
  if ('json' in data) return JSON.parse(data.json) as unknown;
  if ('bytes' in data) return Buffer.from(data.bytes);
  if ('stream' in data) return Buffer.from(data.stream);
  if ('int' in data) return data.int;
  if ('double' in data) return data.double;
  if ('http' in data) return data.http;
  if ('collectionString' in data) return data.collectionString.string;
  if ('collectionBytes' in data) return data.collectionBytes.bytes.map((b) => Buffer.from(b));
  if ('collectionDouble' in data) return data.collectionDouble.double;
  if ('collectionSint64' in data) return data.collectionSint64.sint64;
  return undefined;
}

/**
 * The messages an output binding value becomes: one per array element (the documented way to write several
 * queue messages from JavaScript), else one. Strings stay as they are, Buffers as bytes, anything else JSON.
 */
export function toMessages(data: RpcTypedData): (string | Buffer)[] {
  if ('string' in data) return [data.string];
  if ('bytes' in data) return [Buffer.from(data.bytes)];
  if ('stream' in data) return [Buffer.from(data.stream)];
  if ('int' in data) return [String(data.int)];
  if ('double' in data) return [String(data.double)];
  if ('collectionString' in data) return [...data.collectionString.string];
  if ('collectionBytes' in data) return data.collectionBytes.bytes.map((b) => Buffer.from(b));
  if ('collectionDouble' in data) return data.collectionDouble.double.map(String);
  if ('collectionSint64' in data) return data.collectionSint64.sint64.map(String);
  if ('json' in data) {
    const value = JSON.parse(data.json) as unknown;
    const items = Array.isArray(value) ? (value as unknown[]) : [value];
    return items
      .filter((item) => item !== null && item !== undefined)
      .map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  }
  return [];
}
