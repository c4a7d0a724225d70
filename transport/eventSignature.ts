/**
 * The daemon's signature on the mission events it mirrors to JetStream: an HMAC-SHA256, with a
 * key only the daemon holds, over the exact bytes of the message body, carried in the
 * `Maestro-Sig` header. A header rather than a field: the body stays byte for byte the line the
 * local log holds, so a restore writes back exactly what was logged and nothing has to be
 * re-serialized (no canonical JSON to agree on: the MAC covers the bytes as sent). The header is
 * `v1.<key id>.<mac>`: the key id (a hash prefix of the key, which reveals nothing of it) lets a
 * refusal say "another key" rather than only "wrong", which is what an operator who replaced a
 * disk without its key needs to hear.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SystemError } from '../kernel/errors.js';

export const SIGNATURE_HEADER = 'Maestro-Sig';
const VERSION = 'v1';
/** Domain separation: this key's MACs over events can never pass for a MAC over something else. */
const CONTEXT = 'maestro.events.v1\n';
const MAC_BYTES = 32;
/** HMAC-SHA256 takes keys of any length; under 32 bytes it is weaker than the MAC itself. */
export const MIN_KEY_BYTES = 32;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export class EventSignatureKeyError extends SystemError {
  override name = 'EventSignatureKeyError';
  constructor(readonly bytes: number) {
    super(`event key: expected at least ${MIN_KEY_BYTES} bytes, got ${bytes}`);
  }
}

export class EventSigner {
  /** A public name for the key (8 hex digits of its SHA-256). */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length < MIN_KEY_BYTES) throw new EventSignatureKeyError(key.length);
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /** The header value for `body`. */
  sign(body: string | Uint8Array): string {
    return `${VERSION}.${this.keyId}.${this.mac(body).toString('base64url')}`;
  }

  /** Whether `header` is this key's signature of `body`; when not, why, in words. */
  verify(body: string | Uint8Array, header: string | undefined): SignatureCheck {
    if (header === undefined || header === '')
      return { ok: false, reason: `unsigned (no ${SIGNATURE_HEADER} header)` };
    const [version, keyId, mac, ...rest] = header.split('.');
    if (version !== VERSION || keyId === undefined || mac === undefined || rest.length)
      return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header '${header.slice(0, 40)}'` };
    if (keyId !== this.keyId)
      return {
        ok: false,
        reason: `signed with another key (id '${keyId.slice(0, 16)}', this daemon's is '${this.keyId}')`,
      };
    const given = Buffer.from(mac, 'base64url');
    const ok = given.length === MAC_BYTES && timingSafeEqual(given, this.mac(body));
    return ok ? { ok: true } : { ok: false, reason: 'signature does not match the record' };
  }

  private mac(body: string | Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(CONTEXT).update(body).digest();
  }
}
