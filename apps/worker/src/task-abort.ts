/**
 * Why a run was stopped or refused before its end: the reason travels as the AbortSignal's reason,
 * or is thrown before anything starts (`rejected`).
 */
export class TaskAbort extends Error {
  constructor(
    readonly kind: 'cancelled' | 'timeout' | 'shutdown' | 'rejected',
    message: string,
  ) {
    super(message);
  }
}
