/**
 * Whether a routing key matches a topic pattern as RabbitMQ's topic exchange decides it: words are
 * separated by dots, `*` stands for exactly one word and `#` for zero or more.
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  return matchWords(pattern.split('.'), 0, routingKey.split('.'), 0);
}

function matchWords(pattern: readonly string[], p: number, key: readonly string[], k: number): boolean {
  for (; p < pattern.length; p++, k++) {
    const word = pattern[p];
    if (word === '#') {
      // Zero or more words: the rest of the pattern from here on, at every position left.
      for (let next = k; next <= key.length; next++) if (matchWords(pattern, p + 1, key, next)) return true;
      return false;
    }
    if (k >= key.length || (word !== '*' && word !== key[k])) return false;
  }
  return k === key.length;
}

/** A pattern without wildcards matches its own text only. */
export function isExactTopic(pattern: string): boolean {
  return !pattern.split('.').some((word) => word === '*' || word === '#');
}
