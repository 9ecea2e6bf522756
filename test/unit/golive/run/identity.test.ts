import {
  deriveRunId,
  isRunInstanceId,
  isValidInstanceId,
  MAX_INSTANCE_ID_LENGTH,
  runInstanceId,
} from '../../../../src/golive/run/identity';
import { completionEventId } from '../../../../src/golive/run/record';

describe('runInstanceId', () => {
  it('is golive:{publisherId}:{offerId}', () => {
    expect(runInstanceId({ publisherId: 'contoso', offerId: 'contoso-app' })).toBe('golive:contoso:contoso-app');
  });

  it('is the same for every request of the offer, whatever the API', () => {
    expect(runInstanceId({ publisherId: 'a', offerId: 'b' })).toBe(runInstanceId({ publisherId: 'a', offerId: 'b' }));
  });

  it('differs between offers, even where a plain join would collide', () => {
    expect(runInstanceId({ publisherId: 'a_b', offerId: 'c' })).not.toBe(
      runInstanceId({ publisherId: 'a', offerId: 'b_c' }),
    );
    expect(runInstanceId({ publisherId: 'a', offerId: 'b' })).not.toBe(
      runInstanceId({ publisherId: 'b', offerId: 'a' }),
    );
  });

  it('stays within the Durable id rules for the longest ids, distinct per pair', () => {
    const p = 'p'.repeat(50);
    const a = runInstanceId({ publisherId: p, offerId: 'o'.repeat(50) });
    const b = runInstanceId({ publisherId: p, offerId: `${'o'.repeat(49)}x` });
    expect(a.length).toBeLessThanOrEqual(MAX_INSTANCE_ID_LENGTH);
    expect(isValidInstanceId(a)).toBe(true);
    expect(isValidInstanceId(b)).toBe(true);
    expect(a).not.toBe(b);
    expect(a.startsWith('golive:pppp')).toBe(true);
    expect(runInstanceId({ publisherId: p, offerId: 'o'.repeat(50) })).toBe(a);
  });

  it('isValidInstanceId refuses / \\ # ?, control characters, empty and overlong ids', () => {
    for (const bad of ['a/b', 'a\\b', 'a#b', 'a?b', 'a\nb', 'a\u0000b', '', 'x'.repeat(101)]) {
      expect(isValidInstanceId(bad)).toBe(false);
    }
    expect(isValidInstanceId('golive:contoso:app')).toBe(true);
  });

  it('isRunInstanceId recognises run ids only', () => {
    expect(isRunInstanceId('golive:contoso:app')).toBe(true);
    expect(isRunInstanceId('a1b2c3')).toBe(false);
  });
});

describe('deriveRunId', () => {
  it('is a deterministic version-5 style UUID of instance, run number and request', () => {
    const id = deriveRunId('golive:contoso:app', 1, 'req-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deriveRunId('golive:contoso:app', 1, 'req-1')).toBe(id);
    expect(deriveRunId('golive:contoso:app', 2, 'req-1')).not.toBe(id);
    expect(deriveRunId('golive:contoso:app', 1, 'req-2')).not.toBe(id);
    expect(deriveRunId('golive:contoso:other', 1, 'req-1')).not.toBe(id);
  });

  it('gives the completion event id of the run', () => {
    expect(completionEventId('abc')).toBe('golive-abc');
  });
});
