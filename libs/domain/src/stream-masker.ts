import { REDACTED } from './redact.js';

/**
 * Masks secrets in output that arrives in chunks. Of each stream it holds back up to (longest
 * secret − 1) characters until the next chunk or the end, so a secret split across two chunks is
 * still masked whole; what it passes on never holds a secret or the start of one cut short.
 */
export class StreamMasker<Stream extends string = string> {
  private readonly secrets: readonly string[];
  private readonly holdBack: number;
  private readonly held = new Map<Stream, string>();

  constructor(secrets: readonly string[]) {
    this.secrets = [...new Set(secrets)]
      .filter((secret) => secret !== '')
      .sort((a, b) => b.length - a.length);
    this.holdBack = Math.max(0, (this.secrets[0]?.length ?? 0) - 1);
  }

  /** The masked text of `stream` that is safe to pass on now; the rest waits for more. */
  write(stream: Stream, text: string): string {
    const pending = (this.held.get(stream) ?? '') + text;
    const { masked, rest } = this.mask(pending, pending.length - this.holdBack);
    this.held.set(stream, rest);
    return masked;
  }

  /** Whatever `stream` still holds, masked: call once its output has ended. */
  end(stream: Stream): string {
    const pending = this.held.get(stream) ?? '';
    this.held.delete(stream);
    return this.mask(pending, pending.length).masked;
  }

  /** Masks every secret that starts before `safe` (each is whole in `text`); keeps the rest after the cut. */
  private mask(text: string, safe: number): { masked: string; rest: string } {
    let masked = '';
    let at = 0;
    for (;;) {
      let start = -1;
      let length = 0;
      for (const secret of this.secrets) {
        const found = text.indexOf(secret, at);
        // Longest first: an equal start keeps the longer secret.
        if (found !== -1 && found < safe && (start === -1 || found < start)) {
          start = found;
          length = secret.length;
        }
      }
      if (start === -1) break;
      masked += text.slice(at, start) + REDACTED;
      at = start + length;
    }
    let cut = Math.max(at, safe);
    // Never pass on half of a surrogate pair.
    if (cut > at && cut < text.length && isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
    return { masked: masked + text.slice(at, cut), rest: text.slice(cut) };
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
