/**
 * The bad-input corpus and fuzz generator themselves (no services): every message is invalid by construction,
 * the expectation of each stored text follows the host's decoding rule, and a seed repeats the same messages.
 */
import { fuzzMessages, isStrictBase64, loadCorpus } from '../../../scripts/soak/badInput';
import { holdsOriginal } from '../../../scripts/soak/badInputRun';
import { parseGoLiveRequest } from '../../../src/golive/request';

const QUEUE_MESSAGE_LIMIT = 64 * 1024;

function decoded(stored: string): string {
  return Buffer.from(stored.replace(/\s/g, ''), 'base64').toString('utf8');
}

describe('bad-input corpus', () => {
  const corpus = loadCorpus();

  it('covers the hostile shapes and fits the queue', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(80);
    const names = corpus.map((m) => m.name).join('\n');
    for (const shape of [
      '../',
      '%2F',
      '?',
      '#',
      '__proto__',
      'constructor',
      'UTF-8',
      'base64',
      'empty',
      'null',
      'array',
    ]) {
      expect(names).toContain(shape);
    }
    for (const m of corpus) expect(m.stored.length).toBeLessThanOrEqual(QUEUE_MESSAGE_LIMIT);
    expect(Math.max(...corpus.map((m) => m.stored.length))).toBeGreaterThan(60_000);
  });

  it('marks as poison exactly the stored texts that are not base64, and nothing else is a valid request', () => {
    for (const m of corpus) {
      expect({ name: m.name, poison: !isStrictBase64(m.stored) }).toEqual({
        name: m.name,
        poison: m.expect === 'poison',
      });
      if (m.expect === 'rejected') {
        const parsed = parseGoLiveRequest(decoded(m.stored), { messageId: 'm-1', defaultApi: 'cpp' });
        expect({ name: m.name, ok: parsed.ok }).toEqual({ name: m.name, ok: false });
      }
    }
  });
});

describe('fuzz generator', () => {
  it('repeats the same messages for a seed and differs for another', () => {
    expect(fuzzMessages(42, 200)).toEqual(fuzzMessages(42, 200));
    expect(fuzzMessages(43, 200)).not.toEqual(fuzzMessages(42, 200));
  });

  it('never produces a valid request, and classifies undecodable texts as poison', () => {
    const messages = fuzzMessages(7, 3000);
    const kinds = new Set(messages.map((m) => m.name.split(' ').pop()));
    expect([...kinds].sort()).toEqual(['bytes', 'object', 'raw', 'scalar', 'symbols', 'truncated']);
    expect(messages.some((m) => m.expect === 'poison')).toBe(true);
    for (const m of messages) {
      expect(m.expect).toBe(isStrictBase64(m.stored) ? 'rejected' : 'poison');
      if (m.expect === 'rejected') {
        const parsed = parseGoLiveRequest(decoded(m.stored), { messageId: 'm-1', defaultApi: 'cpp' });
        if (parsed.ok) throw new Error(`${m.name} is a valid request: ${decoded(m.stored)}`);
      }
    }
  });
});

describe('original text check', () => {
  it('accepts the exact text, the same JSON value, a JSON string as its content, or a marked prefix', () => {
    expect(holdsOriginal('not json', 'not json')).toBe(true);
    expect(holdsOriginal('{"a":1}', '{ "a" : 1 }')).toBe(true);
    expect(holdsOriginal('x/y', '"x/y"')).toBe(true);
    expect(holdsOriginal('abc', 'abcdef', true)).toBe(true);
    expect(holdsOriginal('abc', 'abcdef')).toBe(false);
    expect(holdsOriginal('{"a":2}', '{"a":1}')).toBe(false);
    expect(holdsOriginal(undefined, 'x')).toBe(false);
    expect(holdsOriginal('', 'abc', true)).toBe(false);
  });
});
