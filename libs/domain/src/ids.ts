import { randomUUID } from 'node:crypto';

/** Ids are UUIDs without dashes: 32 lowercase hexadecimal characters. */
export function newId(): string {
  return randomUUID().replaceAll('-', '');
}

const ID_PATTERN = /^[0-9a-f]{32}$/;

export function isId(value: string): boolean {
  return ID_PATTERN.test(value);
}
