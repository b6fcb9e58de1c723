/** Characters are code points here, as in Go, though JS strings are UTF-16. */

const SURROGATE = /[\ud800-\udfff]/;

export function hasSurrogates(text: string): boolean {
  return SURROGATE.test(text);
}

export function codePointCount(text: string): number {
  if (!hasSurrogates(text)) return text.length;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // The second half of a surrogate pair does not start a character.
    if (unit < 0xdc00 || unit > 0xdfff || i === 0 || !isHighSurrogate(text.charCodeAt(i - 1))) count++;
  }
  return count;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

export function trimBy(text: string, isCut: (codePoint: number) => boolean): string {
  let start = 0;
  let end = text.length;
  while (start < end) {
    const codePoint = text.codePointAt(start) ?? 0;
    if (!isCut(codePoint)) break;
    start += codePoint > 0xffff ? 2 : 1;
  }
  while (end > start) {
    let at = end - 1;
    const unit = text.charCodeAt(at);
    if (unit >= 0xdc00 && unit <= 0xdfff && at > start && isHighSurrogate(text.charCodeAt(at - 1))) at--;
    if (!isCut(text.codePointAt(at) ?? 0)) break;
    end = at;
  }
  return text.slice(start, end);
}

/** Orders strings by code point, which is Go's order of their UTF-8 bytes. */
export function compareByCodePoint(left: string, right: string): number {
  if (left === right) return 0;
  // Without surrogates, UTF-16 order is code point order.
  if (!hasSurrogates(left) && !hasSurrogates(right)) return left < right ? -1 : 1;
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const a = left.charCodeAt(i);
    const b = right.charCodeAt(i);
    if (a !== b) return codePointRank(a) - codePointRank(b);
  }
  return left.length - right.length;
}

/** Surrogates (astral code points) sort after the rest of the BMP. */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
