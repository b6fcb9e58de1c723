/**
 * Whether a dot-separated topic matches an AMQP topic pattern: `*` stands for exactly one word,
 * `#` for zero or more. The in-memory broker matches as RabbitMQ's topic exchange does.
 */
export function topicMatcher(pattern: string): (topic: string) => boolean {
  const want = pattern.split('.');
  return (topic) => matchWords(want, 0, topic.split('.'), 0);
}

function matchWords(pattern: readonly string[], p: number, words: readonly string[], w: number): boolean {
  if (p === pattern.length) return w === words.length;
  const head = pattern[p];
  if (head === '#') {
    for (let skip = w; skip <= words.length; skip++) if (matchWords(pattern, p + 1, words, skip)) return true;
    return false;
  }
  if (w === words.length) return false;
  return (head === '*' || head === words[w]) && matchWords(pattern, p + 1, words, w + 1);
}
