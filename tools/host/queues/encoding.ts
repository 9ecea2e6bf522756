/**
 * Queue message encoding as host.json `extensions.queues.messageEncoding` sets it: `base64` (the default) or
 * `none`. Decoding base64 is strict, as .NET's `Convert.FromBase64String` is: a message that is not valid base64
 * fails to decode (the host then moves it to the poison queue without invoking the function).
 */
export type MessageEncoding = 'base64' | 'none';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Text as stored in the queue for a message body. */
export function encodeMessage(body: string | Buffer, encoding: MessageEncoding): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return encoding === 'base64' ? bytes.toString('base64') : bytes.toString('utf8');
}

/** The message body (UTF-8 text) from its stored text, or undefined when it does not decode. */
export function decodeMessage(stored: string, encoding: MessageEncoding): string | undefined {
  if (encoding === 'none') return stored;
  const compact = stored.replace(/[\s]/g, '');
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}
