import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type SyntheticEvent } from 'react';
import { credentials } from '../api/credentials.js';

/** Asks for an API key when the API answered 401; kept for this browser session only. */
export function AuthPrompt({ reason }: { readonly reason: string }) {
  const [key, setKey] = useState('');
  const queryClient = useQueryClient();
  const inputId = useId();
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    if (key.trim() === '') return;
    credentials.use(key.trim());
    void queryClient.invalidateQueries();
  };
  return (
    <section className="auth-prompt" aria-labelledby={`${inputId}-title`}>
      <h1 id={`${inputId}-title`}>Sign in</h1>
      <p>This engine needs an API key: {reason}.</p>
      <form onSubmit={submit}>
        <label htmlFor={inputId}>API key</label>
        <input
          id={inputId}
          type="password"
          autoComplete="off"
          autoFocus
          value={key}
          onChange={(event) => {
            setKey(event.target.value);
          }}
        />
        <button type="submit" className="primary">
          Continue
        </button>
      </form>
      <p className="hint">The key is kept in this tab only (session storage) and sent as a bearer token.</p>
    </section>
  );
}
