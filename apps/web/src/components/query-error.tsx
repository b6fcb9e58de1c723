import { ApiError } from '../api/client.js';

/** A failed read, said plainly; a 401 is left to the sign-in prompt. */
export function QueryError({ error, what }: { readonly error: Error; readonly what: string }) {
  if (error instanceof ApiError && error.status === 401) return null;
  return (
    <p className="notice error" role="alert">
      Could not load {what}: {error.message}
    </p>
  );
}
