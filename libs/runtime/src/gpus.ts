import type { DeviceRequest } from 'dockerode';
import { RuntimeError } from '@tork/domain';

/**
 * Parses Docker's `--gpus` value (`all`, `2`, `count=1`, `device=0,1`, `capabilities=compute,utility`,
 * `driver=nvidia`, comma-separated) into the engine's device request, as the docker CLI does. A bare
 * item after `device=` or `capabilities=` continues that list, so `device=0,1` needs no CLI quoting.
 */
export function parseGpus(value: string): DeviceRequest {
  const refuse = (why: string): RuntimeError => new RuntimeError('rejected', `gpus "${value}": ${why}`);
  let count: number | undefined;
  let driver: string | undefined;
  let devices: string[] | undefined;
  let capabilities: string[] | undefined;
  let list: string[] | undefined;
  const seen = new Set<string>();
  const items = value.split(',').map((item) => item.trim().replace(/^"|"$/g, ''));
  for (const item of items) {
    if (item === '') throw refuse('empty item');
    const equals = item.indexOf('=');
    if (equals === -1) {
      if (list !== undefined) list.push(item);
      else if (seen.has('count')) throw refuse('count given twice');
      else {
        seen.add('count');
        count = parseCount(item, refuse);
      }
      continue;
    }
    const key = item.slice(0, equals);
    const rest = item.slice(equals + 1);
    if (seen.has(key)) throw refuse(`"${key}" given twice`);
    seen.add(key);
    if (rest === '') throw refuse(`"${key}" needs a value`);
    list = undefined;
    switch (key) {
      case 'count':
        count = parseCount(rest, refuse);
        break;
      case 'driver':
        driver = rest;
        break;
      case 'device':
        devices = list = [rest];
        break;
      case 'capabilities':
        capabilities = list = [rest];
        break;
      default:
        throw refuse(`unknown key "${key}" (expected count, device, capabilities or driver)`);
    }
  }
  if (count !== undefined && devices !== undefined) throw refuse('cannot set both count and device');
  return {
    Driver: driver ?? '',
    // The CLI asks for one GPU when neither a count nor devices are given.
    Count: count ?? (devices === undefined ? 1 : 0),
    DeviceIDs: devices ?? [],
    Capabilities: [capabilities === undefined ? ['gpu'] : [...capabilities, 'gpu']],
    Options: {},
  };
}

function parseCount(text: string, refuse: (why: string) => RuntimeError): number {
  if (text === 'all') return -1;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw refuse(`count must be "all" or a positive integer, got "${text}"`);
  return Number(text);
}
