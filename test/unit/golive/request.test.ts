import {
  MAX_MESSAGE_CHARS,
  MAX_REJECTED_RECORD_BYTES,
  messageText,
  parseGoLiveRequest,
  rejectedRecord,
  validateGoLiveRequest,
} from '../../../src/golive/request';

const opts = { messageId: '7d1c2b3a-0000-4000-8000-000000000001', defaultApi: 'cpp' as const };
const parse = (text: string) => parseGoLiveRequest(text, opts);
const reasonOf = (text: string) => {
  const r = parse(text);
  if (r.ok) throw new Error(`expected a rejection of ${text}`);
  return r.reason;
};

describe('parseGoLiveRequest', () => {
  it('accepts a minimal request and defaults requestId to the message id and api to the configured one', () => {
    const r = parse('{"publisherId":"contoso","offerId":"contoso-app"}');
    expect(r).toEqual({
      ok: true,
      request: { publisherId: 'contoso', offerId: 'contoso-app', requestId: opts.messageId, api: 'cpp' },
    });
  });

  it('keeps requestId, requestedBy (trimmed), api and productId', () => {
    const r = parse(
      JSON.stringify({
        publisherId: 'fabrikam_1',
        offerId: 'vm-2',
        requestId: 'release-42',
        requestedBy: '  release pipeline  ',
        api: 'productIngestion',
        productId: 'prod-123',
      }),
    );
    expect(r).toEqual({
      ok: true,
      request: {
        publisherId: 'fabrikam_1',
        offerId: 'vm-2',
        requestId: 'release-42',
        requestedBy: 'release pipeline',
        api: 'productIngestion',
        productId: 'prod-123',
      },
    });
  });

  it('strips unknown fields instead of rejecting them', () => {
    const r = parse('{"publisherId":"contoso","offerId":"a","traceId":"x","nested":{"a":1}}');
    expect(r.ok && r.request).toEqual({ publisherId: 'contoso', offerId: 'a', requestId: opts.messageId, api: 'cpp' });
  });

  it('never lets __proto__ or constructor keys reach a prototype', () => {
    const r = parse(
      '{"publisherId":"contoso","offerId":"a","__proto__":{"polluted":true,"requestId":"evil"},"constructor":{"prototype":{"polluted":true}}}',
    );
    expect(r.ok).toBe(true);
    expect(r.ok && r.request.requestId).toBe(opts.messageId);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const fromProto = parse('{"__proto__":{"publisherId":"contoso","offerId":"a"}}');
    expect(fromProto.ok).toBe(false);
  });

  it.each([
    ['not JSON', 'publisherId=contoso', 'message is not valid JSON'],
    ['empty text', '', 'message is not valid JSON'],
    ['truncated JSON', '{"publisherId":"contoso"', 'message is not valid JSON'],
    ['JSON array', '[{"publisherId":"contoso","offerId":"a"}]', 'message must be a JSON object'],
    ['JSON string', '"contoso/a"', 'message must be a JSON object'],
    ['JSON null', 'null', 'message must be a JSON object'],
    ['JSON number', '42', 'message must be a JSON object'],
    ['missing publisherId', '{"offerId":"a"}', 'publisherId is required'],
    ['missing offerId', '{"publisherId":"contoso"}', 'offerId is required'],
    ['numeric publisherId', '{"publisherId":5,"offerId":"a"}', 'publisherId must be a string'],
    ['uppercase publisherId', '{"publisherId":"Contoso","offerId":"a"}', 'publisherId must be 1-50'],
    ['empty offerId', '{"publisherId":"contoso","offerId":""}', 'offerId must be 1-50'],
    ['offerId with a slash', '{"publisherId":"contoso","offerId":"a/b"}', 'offerId must be 1-50'],
    ['offerId with a space', '{"publisherId":"contoso","offerId":"a b"}', 'offerId must be 1-50'],
    ['offerId with a dot', '{"publisherId":"contoso","offerId":"a.b"}', 'offerId must be 1-50'],
    ['offerId of 51 chars', `{"publisherId":"contoso","offerId":"${'a'.repeat(51)}"}`, 'offerId must be 1-50'],
    ['unicode publisherId', '{"publisherId":"cöntoso","offerId":"a"}', 'publisherId must be 1-50'],
    ['requestId with a slash', '{"publisherId":"contoso","offerId":"a","requestId":"a/b"}', 'requestId must be'],
    ['requestId with a ?', '{"publisherId":"contoso","offerId":"a","requestId":"a?b"}', 'requestId must be'],
    ['empty requestId', '{"publisherId":"contoso","offerId":"a","requestId":""}', 'requestId must be'],
    ['numeric requestId', '{"publisherId":"contoso","offerId":"a","requestId":7}', 'requestId must be a string'],
    [
      'requestId of 129 chars',
      `{"publisherId":"contoso","offerId":"a","requestId":"${'r'.repeat(129)}"}`,
      'requestId must be',
    ],
    [
      'empty requestedBy',
      '{"publisherId":"contoso","offerId":"a","requestedBy":"   "}',
      'requestedBy must not be empty',
    ],
    ['long requestedBy', `{"publisherId":"contoso","offerId":"a","requestedBy":"${'x'.repeat(201)}"}`, 'at most 200'],
    [
      'requestedBy with a newline',
      '{"publisherId":"contoso","offerId":"a","requestedBy":"a\\nb"}',
      'control characters',
    ],
    [
      'object requestedBy',
      '{"publisherId":"contoso","offerId":"a","requestedBy":{"name":"x"}}',
      'requestedBy must be a string',
    ],
    ['unknown api', '{"publisherId":"contoso","offerId":"a","api":"partnerCenter"}', 'api must be'],
    ['productId with cpp', '{"publisherId":"contoso","offerId":"a","productId":"p1"}', 'productId applies to'],
  ])('rejects %s', (_name, text, reason) => {
    expect(reasonOf(text)).toContain(reason);
  });

  it('names every broken field in one reason', () => {
    const reason = reasonOf('{"publisherId":"A","offerId":7}');
    expect(reason).toContain('publisherId');
    expect(reason).toContain('offerId');
  });

  it('rejects text longer than the limit without parsing it', () => {
    expect(reasonOf(`{"publisherId":"contoso","offerId":"a","x":"${'y'.repeat(MAX_MESSAGE_CHARS)}"}`)).toMatch(
      /longer than/,
    );
  });

  it('asks for a requestId when the message id cannot serve as one', () => {
    const r = validateGoLiveRequest(
      { publisherId: 'contoso', offerId: 'a' },
      { messageId: 'bad id', defaultApi: 'cpp' },
    );
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('send a requestId') });
  });
});

describe('messageText', () => {
  it('returns strings as they are, buffers as UTF-8 and objects as JSON', () => {
    expect(messageText('x')).toBe('x');
    expect(messageText(Buffer.from('{"a":1}'))).toBe('{"a":1}');
    expect(messageText({ a: 1 })).toBe('{"a":1}');
    expect(messageText(12)).toBe('12');
    expect(messageText(undefined)).toBe('');
  });
});

describe('rejectedRecord', () => {
  it('keeps the original text, reason, time and message id, and cuts overlong text', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(rejectedRecord('abc', 'bad', 'm1', now)).toEqual({
      originalText: 'abc',
      reason: 'bad',
      rejectedAt: '2026-01-01T00:00:00.000Z',
      messageId: 'm1',
    });
    const long = rejectedRecord('z'.repeat(MAX_MESSAGE_CHARS + 5), 'bad', 'm1', now);
    expect(long.originalText).toHaveLength(MAX_MESSAGE_CHARS);
    expect(long.originalTextTruncated).toBe(true);
  });

  it.each([
    ['control characters', '\u0001'.repeat(16_000)],
    ['CJK text', '語'.repeat(16_384)],
    ['replacement characters', '\ufffd'.repeat(16_384)],
  ])('cuts %s so the record fits a queue message after base64', (_name, text) => {
    const record = rejectedRecord(text, 'message is not valid JSON', 'm1', new Date(0));
    const json = JSON.stringify(record);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(MAX_REJECTED_RECORD_BYTES);
    expect(Buffer.from(json).toString('base64').length).toBeLessThanOrEqual(65_536);
    expect(record.originalTextTruncated).toBe(true);
    expect(text.startsWith(record.originalText)).toBe(true);
    expect(record.originalText.length).toBeGreaterThan(1000);
  });
});
