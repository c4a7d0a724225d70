import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { callSignal } from '../../actors/callSignal.js';

describe('callSignal (one call under a long-lived signal)', () => {
  it('should abort the call, with the same reason, when the long-lived signal aborts', () => {
    const service = new AbortController();
    const call = callSignal(service.signal);
    expect(call.signal.aborted).toBe(false);
    const reason = new Error('service stopping');
    service.abort(reason);
    expect(call.signal.aborted).toBe(true);
    expect(call.signal.reason).toBe(reason);
  });

  it('should start aborted under a signal already aborted', () => {
    const service = new AbortController();
    service.abort('gone');
    const call = callSignal(service.signal);
    expect(call.signal.aborted).toBe(true);
    expect(call.signal.reason).toBe('gone');
    call.release();
  });

  it('should leave no listener on the long-lived signal once released, however many calls ran', () => {
    const service = new AbortController();
    const baseline = getEventListeners(service.signal, 'abort').length;
    for (let i = 0; i < 50; i++) {
      const call = callSignal(service.signal);
      // what the OpenAI SDK does per request: a listener it never removes
      call.signal.addEventListener('abort', () => {}, { once: true });
      call.release();
    }
    expect(getEventListeners(service.signal, 'abort')).toHaveLength(baseline);
  });

  it('should not abort a released call when the long-lived signal aborts later', () => {
    const service = new AbortController();
    const call = callSignal(service.signal);
    call.release();
    call.release();
    service.abort();
    expect(call.signal.aborted).toBe(false);
  });
});
