import { useEffect, useState } from 'react';

/** The current time, ticking every `ms` while `live`: running durations move without a refetch. */
export function useNow(live: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!live) return;
    const timer = window.setInterval(() => {
      setNow(Date.now());
    }, ms);
    return () => {
      window.clearInterval(timer);
    };
  }, [live, ms]);
  return live ? now : Date.now();
}
