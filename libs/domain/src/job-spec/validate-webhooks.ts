import type { Problem } from '../errors.js';
import { ENVELOPE_PREFIX, isEncrypted } from '../keyring.js';
import { hasExpressions } from '../workflow/templates.js';
import { checkExpression, checkTemplate, isRecord } from './field-checks.js';

/** Each webhook's URL and header values may hold templates, and its `if` is an expression: each must parse. */
export function checkWebhooks(value: unknown, path: string, problems: Problem[]): void {
  if (!Array.isArray(value)) return;
  value.forEach((webhook: unknown, index) => {
    if (!isRecord(webhook)) return;
    const at = `${path}[${index}]`;
    const url = webhook['url'];
    if (typeof url === 'string') {
      checkTemplate(url, `${at}.url`, problems);
      if (!hasExpressions(url) && !URL.canParse(url))
        problems.push({ path: `${at}.url`, message: 'is not a valid URL' });
    }
    const condition = webhook['if'];
    if (typeof condition === 'string' && condition.trim() !== '')
      checkExpression(condition, `${at}.if`, problems);
    const headers = webhook['headers'];
    if (!isRecord(headers)) return;
    for (const [name, header] of Object.entries(headers)) {
      if (typeof header !== 'string') continue;
      // Only the API encrypts: a submitted envelope could be another job's secret, copied.
      if (isEncrypted(header))
        problems.push({ path: `${at}.headers.${name}`, message: `may not start with "${ENVELOPE_PREFIX}"` });
      else checkTemplate(header, `${at}.headers.${name}`, problems);
    }
  });
}
