import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/** Where the API serves the dashboard; every route of the app lives under it. */
export const BASE = '/ui';

const CHANGE = 'tork:navigate';

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(CHANGE, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(CHANGE, listener);
  };
}

const current = (): string => window.location.pathname + window.location.search;

/** The app's route (`/jobs/abc`, without /ui) and its query. */
export interface Location {
  readonly path: string;
  readonly search: URLSearchParams;
}

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, current);
  const url = new URL(href, window.location.origin);
  const path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : url.pathname;
  return { path: path === '' ? '/' : path, search: url.searchParams };
}

/** Goes to an app route (`/jobs/abc?task=x`) without reloading. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const href = BASE + to;
  if (options.replace === true) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  window.dispatchEvent(new Event(CHANGE));
}

/** An app route with its query changed: `undefined` or '' removes a parameter. */
export function withQuery(location: Location, changes: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined || value === '') search.delete(name);
    else search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? location.path : `${location.path}?${text}`;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string; children: ReactNode };

/** A real link (open in a new tab works); a plain click navigates in place. */
export function Link({ to, children, onClick, ...rest }: LinkProps) {
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={BASE + to} onClick={click} {...rest}>
      {children}
    </a>
  );
}
