import { useEffect, useRef, useState } from 'react';
import { api } from '../api/endpoints.js';
import { parseAnsi } from '../lib/ansi.js';

interface LogEntry {
  readonly number: number;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

const RECONNECT_MS = 1000;

/**
 * A task's log, followed live over Server-Sent Events (`GET /tasks/{id}/log?follow=true`): what is
 * stored first, then each entry as it arrives, until `end`. EventSource cannot send a header, so a
 * short-lived stream token goes in the URL; on a drop it resumes after the last entry with a new one.
 */
export function LogView({ taskId }: { readonly taskId: string }) {
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [status, setStatus] = useState<'connecting' | 'following' | 'ended' | 'failed'>('connecting');
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    setEntries([]);
    setStatus('connecting');
    let source: EventSource | undefined;
    let closed = false;
    let lastId = 0;
    let timer: number | undefined;
    const open = async () => {
      const { token } = await api.streamToken();
      if (closed) return;
      const resume = lastId > 0 ? `&lastEventId=${lastId}` : '';
      source = new EventSource(
        `/tasks/${encodeURIComponent(taskId)}/log?follow=true&access_token=${encodeURIComponent(token)}${resume}`,
      );
      source.addEventListener('open', () => {
        setStatus('following');
      });
      source.addEventListener('log', (event) => {
        const entry = JSON.parse((event as MessageEvent<string>).data) as LogEntry;
        lastId = Math.max(lastId, entry.number);
        setEntries((previous) =>
          previous.some((seen) => seen.number === entry.number) ? previous : [...previous, entry],
        );
      });
      source.addEventListener('end', () => {
        source?.close();
        setStatus('ended');
      });
      source.addEventListener('error', () => {
        // A drop, or a token that expired before a reconnect: start again with a fresh token.
        source?.close();
        if (closed) return;
        setStatus('connecting');
        timer = window.setTimeout(() => {
          openOrFail();
        }, RECONNECT_MS);
      });
    };
    const openOrFail = () => {
      open().catch(() => {
        if (!closed) setStatus('failed');
      });
    };
    openOrFail();
    return () => {
      closed = true;
      window.clearTimeout(timer);
      source?.close();
    };
  }, [taskId]);

  useEffect(() => {
    const element = box.current;
    if (element !== null && stick.current) element.scrollTop = element.scrollHeight;
  }, [entries]);

  return (
    <div className="log-view">
      <div className="log-status" aria-live="polite">
        {status === 'following' && <span className="live-dot">following live</span>}
        {status === 'connecting' && 'connecting…'}
        {status === 'ended' && `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, complete`}
        {status === 'failed' && 'the log could not be opened'}
      </div>
      <pre
        ref={box}
        className="log"
        role="log"
        tabIndex={0}
        aria-label="Task log"
        onScroll={(event) => {
          const element = event.currentTarget;
          stick.current = element.scrollTop + element.clientHeight >= element.scrollHeight - 4;
        }}
      >
        {entries.length === 0 && status === 'ended' ? (
          <span className="muted">No output.</span>
        ) : (
          entries.map((entry) => (
            <span key={entry.number} className={entry.stream === 'stderr' ? 'log-line stderr' : 'log-line'}>
              {parseAnsi(entry.text).map((segment, index) => (
                <span key={index} className={segment.classes.join(' ') || undefined}>
                  {segment.text}
                </span>
              ))}
            </span>
          ))
        )}
      </pre>
    </div>
  );
}
