/**
 * Bad input for the go-live intake: the fixed corpus (`test/fixtures/bad-input/corpus.json`) and a seeded fuzz.
 * Every message is invalid by construction, so none may start a run or reach the partner API.
 *
 * Each message is given as the text stored in the queue (`stored`) and what the product contract says happens to
 * it (`expect`): a message the queue trigger can decode (base64, as the host expects) is answered by the app with
 * a record on `golive-rejected` holding a reason; a stored text that is not valid base64 cannot be decoded by the
 * host at all, so the host moves it to `golive-requests-poison` without invoking the function (the Functions
 * host's documented behaviour for a decoding failure).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { Prng } from './prng';

export type BadInputExpectation = 'rejected' | 'poison';

export interface BadMessage {
  name: string;
  /** The text stored in the queue, exactly. */
  stored: string;
  expect: BadInputExpectation;
  /** For corpus entries: text the rejection reason must contain. */
  reason?: string;
}

interface CorpusEntry {
  name: string;
  text?: string;
  bytesHex?: string;
  repeatBytes?: number;
  raw?: string;
  repeat?: { prefix: string; unit: string; count: number; suffix: string };
  expect: BadInputExpectation;
  reason?: string;
}

/** The repository root (the folder holding this project's package.json), from source or from `dist/`. */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown };
        if (parsed.name === 'marketplace-golive') return dir;
      } catch {
        // keep looking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`Cannot find the marketplace-golive package.json above ${from}`);
    dir = up;
  }
}

export const CORPUS_FILE = path.join('test', 'fixtures', 'bad-input', 'corpus.json');

const base64 = (bytes: Buffer): string => bytes.toString('base64');

/** Strict base64 (RFC 4648 alphabet, padding required, whitespace ignored), as .NET `Convert.FromBase64String`. */
export function isStrictBase64(text: string): boolean {
  const compact = text.replace(/\s/g, '');
  return /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact);
}

function isCorpusEntry(v: unknown): v is CorpusEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.name === 'string' && (e.expect === 'rejected' || e.expect === 'poison');
}

/** The fixed corpus, each entry as the stored queue text. */
export function loadCorpus(root: string = repoRoot()): BadMessage[] {
  const parsed = JSON.parse(readFileSync(path.join(root, CORPUS_FILE), 'utf8')) as { entries?: unknown };
  if (!Array.isArray(parsed.entries)) throw new Error(`${CORPUS_FILE} has no entries`);
  return parsed.entries.map((raw: unknown, i: number): BadMessage => {
    if (!isCorpusEntry(raw)) throw new Error(`${CORPUS_FILE} entry ${i} is malformed`);
    let stored: string;
    if (raw.raw !== undefined) stored = raw.raw;
    else if (raw.text !== undefined) stored = base64(Buffer.from(raw.text, 'utf8'));
    else if (raw.bytesHex !== undefined) {
      const unit = Buffer.from(raw.bytesHex, 'hex');
      stored = base64(Buffer.concat(Array.from({ length: raw.repeatBytes ?? 1 }, () => unit)));
    } else if (raw.repeat !== undefined) {
      const r = raw.repeat;
      stored = base64(Buffer.from(r.prefix + r.unit.repeat(r.count) + r.suffix, 'utf8'));
    } else throw new Error(`${CORPUS_FILE} entry "${raw.name}" has no body`);
    const message: BadMessage = { name: `corpus: ${raw.name}`, stored, expect: raw.expect };
    if (raw.reason !== undefined) message.reason = raw.reason;
    return message;
  });
}

// ---- fuzz ----------------------------------------------------------------------------------------------------

const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_';
const BAD_ID_CHARS = [
  '/',
  '\\',
  '?',
  '#',
  '%',
  '.',
  ':',
  ' ',
  '@',
  '!',
  '&',
  '+',
  '=',
  '\u00e9',
  '\u0416',
  '\u4e2d',
  '\u{1F600}',
  '\u202e',
  '\u0000',
  '\t',
  'A',
  'Z',
];
/** Each makes an id invalid wherever it stands. */
const HOSTILE_IDS = ['..', '../..', '%2F', '%2e%2e', '?x=1', '#x', '__proto__/x', 'con/../x', '\u2215', '\uFF0F'];
const REQUEST_ID_BAD_START = ['-', '.', '_', ' ', '/', '#'];
const PRINTABLE_RAW = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=!#$%&()*,-.:;?@[]^_{|}~ "\'';

type Pair = [string, unknown];

function jsonObject(pairs: Pair[]): string {
  return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
}

function fuzzId(p: Prng): string {
  // Offers the simulator does not have: a generator slip would show up as a go-live POST answered 404.
  return `fuzz-${p.string(ID_CHARS, p.int(1, 20))}`;
}

function badId(p: Prng): unknown {
  switch (p.int(0, 5)) {
    case 0: {
      const s = fuzzId(p);
      const at = p.int(0, s.length);
      return s.slice(0, at) + p.pick(BAD_ID_CHARS) + s.slice(at);
    }
    case 1:
      return p.chance(0.5) ? p.pick(HOSTILE_IDS) + p.string(ID_CHARS, p.int(0, 5)) : fuzzId(p) + p.pick(HOSTILE_IDS);
    case 2:
      return p.chance(0.1) ? '' : p.string(ID_CHARS, p.int(51, 90));
    case 3:
      return p.pick([0, 1, -1, 3.14, true, false, null, [], ['fuzz'], { id: 'fuzz' }]);
    case 4:
      return fuzzId(p).toUpperCase();
    default:
      return p.string('\u00e9\u0416\u4e2d\u202e\u0301\uFEFF', p.int(1, 8));
  }
}

function badRequestId(p: Prng): unknown {
  switch (p.int(0, 3)) {
    case 0:
      return p.pick(REQUEST_ID_BAD_START) + p.string(ID_CHARS, p.int(0, 10));
    case 1:
      return `req${p.pick(['/', '#', '?', ' ', '\\', '%', '\n'])}${p.string(ID_CHARS, p.int(0, 10))}`;
    case 2:
      return p.string(ID_CHARS, p.int(129, 200));
    default:
      return p.pick([42, true, null, ['r'], { r: 1 }]);
  }
}

function badRequestedBy(p: Prng): unknown {
  switch (p.int(0, 3)) {
    case 0:
      return p.pick(['', '   ', '\t']);
    case 1:
      return 'x'.repeat(p.int(201, 400));
    case 2:
      return `pipe${p.pick(['\u0000', '\n', '\r', '\u001b', '\u007f'])}line`;
    default:
      return p.pick([1, false, ['a'], { by: 'a' }]);
  }
}

function extraPairs(p: Prng): Pair[] {
  const keys = [
    'extra',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'trace',
    'PublisherId',
    '',
  ];
  const out: Pair[] = [];
  for (let i = p.int(0, 3); i > 0; i--) {
    out.push([p.pick(keys), p.pick([1, 'x', null, { polluted: true }, [1, 2], { publisherId: 'contoso' }])]);
  }
  return out;
}

/** An object that is invalid in exactly one chosen way, with random valid fields and extra keys around it. */
function brokenObject(p: Prng): string {
  const fields: Record<string, unknown> = { publisherId: fuzzId(p), offerId: fuzzId(p) };
  if (p.chance(0.4)) fields.requestId = `fuzz-${p.string(ID_CHARS, 8)}`;
  if (p.chance(0.4)) fields.requestedBy = `fuzzer ${p.int(1, 99)}`;
  if (p.chance(0.2)) fields.api = 'cpp';
  switch (p.int(0, 7)) {
    case 0:
      fields.publisherId = badId(p);
      break;
    case 1:
      fields.offerId = badId(p);
      break;
    case 2:
      delete fields[p.pick(['publisherId', 'offerId'])];
      break;
    case 3:
      fields.requestId = badRequestId(p);
      break;
    case 4:
      fields.requestedBy = badRequestedBy(p);
      break;
    case 5:
      fields.api = p.pick(['CPP', 'graph', '', 'productingestion', 1, null]);
      break;
    case 6:
      fields.api = 'cpp';
      fields.productId = `p-${p.string(ID_CHARS, 6)}`;
      break;
    default:
      fields.publisherId = badId(p);
      fields.offerId = badId(p);
  }
  const pairs: Pair[] = [...Object.entries(fields), ...extraPairs(p)];
  // Shuffle so that field order varies.
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = p.int(0, i);
    [pairs[i], pairs[j]] = [pairs[j] as Pair, pairs[i] as Pair];
  }
  return jsonObject(pairs);
}

/** `count` invalid messages from `seed`; the same seed gives the same messages. */
export function fuzzMessages(seed: number, count: number): BadMessage[] {
  const p = new Prng(seed);
  const out: BadMessage[] = [];
  for (let i = 0; i < count; i++) {
    const kind = p.int(0, 9);
    const name = `fuzz #${i} (seed ${seed})`;
    if (kind <= 3) {
      out.push({ name: `${name} object`, stored: base64(Buffer.from(brokenObject(p), 'utf8')), expect: 'rejected' });
    } else if (kind === 4) {
      out.push({ name: `${name} bytes`, stored: base64(p.bytes(p.int(0, 300))), expect: 'rejected' });
    } else if (kind === 5) {
      const value = p.pick<unknown>([
        p.int(-1e6, 1e6),
        p.next(),
        null,
        true,
        false,
        'go live',
        [],
        [1, 'a'],
        ['contoso'],
      ]);
      out.push({
        name: `${name} scalar`,
        stored: base64(Buffer.from(JSON.stringify(value), 'utf8')),
        expect: 'rejected',
      });
    } else if (kind === 6) {
      const whole = jsonObject([
        ['publisherId', fuzzId(p)],
        ['offerId', fuzzId(p)],
      ]);
      const cut = whole.slice(0, p.int(0, whole.length - 1));
      out.push({ name: `${name} truncated`, stored: base64(Buffer.from(cut, 'utf8')), expect: 'rejected' });
    } else if (kind === 7) {
      const text = p.string('{}[]":,0123456789.-+eE truefalsn\\u', p.int(0, 80));
      out.push({ name: `${name} symbols`, stored: base64(Buffer.from(text, 'utf8')), expect: 'rejected' });
    } else {
      // Stored as is, not base64-encoded by the sender: the host decodes what happens to be valid base64.
      const stored = p.string(PRINTABLE_RAW, p.int(1, 120));
      out.push({ name: `${name} raw`, stored, expect: isStrictBase64(stored) ? 'rejected' : 'poison' });
    }
  }
  return out;
}
