import type { ConsumeMessage } from 'amqplib';

/** Carries a message's delivery attempt (1 when absent). */
export const ATTEMPT_HEADER = 'x-tork-attempt';

/* What a delivery's AMQP properties say, read defensively: anything may arrive on a queue. */

export function priorityOf(delivery: ConsumeMessage): number {
  const value: unknown = delivery.properties.priority;
  return typeof value === 'number' && Number.isInteger(value) ? value : 0;
}

export function attemptOf(delivery: ConsumeMessage): number {
  const value: unknown = delivery.properties.headers?.[ATTEMPT_HEADER];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? value : 1;
}

/** The publisher's headers: string values only, without the engine's own. */
export function headersOf(delivery: ConsumeMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(delivery.properties.headers ?? {}))
    if (typeof value === 'string' && !key.startsWith('x-tork-')) headers[key] = value;
  return headers;
}
