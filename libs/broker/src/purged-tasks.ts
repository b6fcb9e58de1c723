import { decodeMessage } from '@tork/domain';

/** The task ids of the `task.run` messages among purged ones; anything else (or unreadable) has no task to fail. */
export function taskIdsOf(bodies: readonly Buffer[]): string[] {
  const ids: string[] = [];
  for (const body of bodies) {
    const decoded = decodeMessage(body);
    if (decoded.ok && decoded.message.type === 'task.run') ids.push(decoded.message.task.id);
  }
  return ids;
}
