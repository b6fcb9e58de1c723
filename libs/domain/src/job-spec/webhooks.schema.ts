import { Type } from '@sinclair/typebox';
import { WEBHOOK_EVENTS, type WebhookSpec } from '../webhooks/webhook.js';
import { SPEC_LIMITS } from './spec-limits.js';

/** HTTP header names (RFC 9110 tokens). */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
export const WEBHOOK_URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://';

export const WebhookSpecSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: SPEC_LIMITS.webhookUrlLength,
      pattern: WEBHOOK_URL_PATTERN,
      description: 'Where deliveries are POSTed: an http(s) URL; may use expressions after the scheme.',
    }),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String({ maxLength: SPEC_LIMITS.webhookHeaderValueLength }), {
        maxProperties: SPEC_LIMITS.webhookHeaders,
        propertyNames: { maxLength: SPEC_LIMITS.nameLength, pattern: HEADER_NAME_PATTERN },
        description:
          'Headers sent with each delivery; values may use expressions (`{{ secrets.token }}`). Secret ones are masked in every view.',
      }),
    ),
    event: Type.Optional(
      Type.Unsafe<WebhookSpec['event']>({
        type: 'string',
        enum: [...WEBHOOK_EVENTS],
        description: 'What the webhook is told of (default `job.StateChange`).',
      }),
    ),
    if: Type.Optional(
      Type.String({
        maxLength: SPEC_LIMITS.expressionLength,
        description:
          "An expression over `job` and `task`, e.g. `job.state == 'COMPLETED'` (Go names too: `job.State`).",
      }),
    ),
  },
  { additionalProperties: false },
);

export const WebhooksSchema = Type.Array(WebhookSpecSchema, {
  maxItems: SPEC_LIMITS.webhooks,
  description: "HTTP callbacks on state changes and progress, signed with the engine's -webhook-secret.",
});
