import { useMutation } from '@tanstack/react-query';
import { useId, useRef, useState, type SyntheticEvent } from 'react';
import { ApiError } from '../api/client.js';
import { api } from '../api/endpoints.js';
import { locateField } from '../lib/spec-lines.js';
import { navigate } from '../router.js';

const HELLO = `name: hello job
tasks:
  - name: say hello
    image: ubuntu:mantic
    run: |
      echo -n hello world
`;

type Format = 'auto' | 'yaml' | 'json';

/** A problem of the API's 400, with the line of its field in the editor where it can be found. */
interface PlacedProblem {
  readonly path: string;
  readonly message: string;
  readonly line: number | undefined;
  readonly exact: boolean;
}

const detect = (text: string): 'yaml' | 'json' => (text.trimStart().startsWith('{') ? 'json' : 'yaml');

export function SubmitPage() {
  const [text, setText] = useState(HELLO);
  const [format, setFormat] = useState<Format>('auto');
  const [submitted, setSubmitted] = useState<string | undefined>(undefined);
  const editor = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const editorId = useId();
  const formatId = useId();
  const submit = useMutation({
    mutationFn: (body: string) => api.submit(body, format === 'auto' ? detect(body) : format),
    onSuccess: (job) => {
      navigate(`/jobs/${job.id}`);
    },
  });
  const onSubmit = (event: SyntheticEvent) => {
    event.preventDefault();
    setSubmitted(text);
    submit.mutate(text);
  };
  const error = submit.error;
  const problems: PlacedProblem[] =
    error instanceof ApiError && submitted !== undefined
      ? (error.body?.problems ?? []).map((problem) => {
          const at = locateField(submitted, problem.path);
          return { ...problem, line: at?.line, exact: at?.exact ?? false };
        })
      : [];
  const problemLines = new Set(problems.map((problem) => problem.line));
  const lineCount = text.split('\n').length;
  const goToLine = (line: number) => {
    const area = editor.current;
    if (area === null) return;
    const lines = text.split('\n');
    const start = lines.slice(0, line - 1).reduce((sum, current) => sum + current.length + 1, 0);
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  };

  return (
    <section>
      <h1>Submit a job</h1>
      <form className="submit-form" onSubmit={onSubmit}>
        <div className="editor-bar">
          <label htmlFor={formatId}>Format</label>
          <select
            id={formatId}
            value={format}
            onChange={(event) => {
              setFormat(event.target.value as Format);
            }}
          >
            <option value="auto">detect (YAML or JSON)</option>
            <option value="yaml">YAML</option>
            <option value="json">JSON</option>
          </select>
          <button type="submit" className="primary" disabled={submit.isPending}>
            {submit.isPending ? 'Submitting…' : 'Submit'}
          </button>
        </div>
        <div className="editor-layout">
          <div className="editor">
            <div className="gutter" ref={gutter} aria-hidden="true">
              {Array.from({ length: lineCount }, (_, index) => (
                <div
                  key={index}
                  className={problemLines.has(index + 1) ? 'gutter-line has-problem' : 'gutter-line'}
                >
                  {index + 1}
                </div>
              ))}
            </div>
            <label htmlFor={editorId} className="visually-hidden">
              Job definition
            </label>
            <textarea
              id={editorId}
              ref={editor}
              value={text}
              spellCheck={false}
              wrap="off"
              autoCapitalize="off"
              autoComplete="off"
              onChange={(event) => {
                setText(event.target.value);
              }}
              onScroll={(event) => {
                if (gutter.current !== null) gutter.current.scrollTop = event.currentTarget.scrollTop;
              }}
            />
          </div>
          {error !== null && (
            <aside className="problems" aria-labelledby="problems-title" role="alert">
              <h2 id="problems-title">
                {problems.length === 0
                  ? error.message
                  : `The job is invalid: ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}`}
              </h2>
              {problems.length > 0 && (
                <ul>
                  {problems.map((problem, index) => (
                    <li key={index} data-path={problem.path}>
                      {problem.line !== undefined && (
                        <button
                          type="button"
                          className="line-link"
                          onClick={() => {
                            if (problem.line !== undefined) goToLine(problem.line);
                          }}
                        >
                          line {problem.line}
                          {problem.exact ? '' : ' (in)'}
                        </button>
                      )}{' '}
                      <code>{problem.path}</code>: {problem.message}
                    </li>
                  ))}
                </ul>
              )}
            </aside>
          )}
        </div>
      </form>
    </section>
  );
}
