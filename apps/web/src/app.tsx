import type { ReactNode } from 'react';
import { AuthPrompt } from './components/auth-prompt.js';
import { useCredentialState } from './api/credentials.js';
import { JobPage } from './pages/job-page.js';
import { JobsPage } from './pages/jobs-page.js';
import { NodesPage } from './pages/nodes-page.js';
import { QueuesPage } from './pages/queues-page.js';
import { SchedulesPage } from './pages/schedules-page.js';
import { SubmitPage } from './pages/submit-page.js';
import { Link, useLocation } from './router.js';

const SECTIONS = [
  { to: '/', label: 'Jobs', matches: (path: string) => path === '/' || path.startsWith('/jobs') },
  { to: '/submit', label: 'Submit', matches: (path: string) => path === '/submit' },
  { to: '/nodes', label: 'Nodes', matches: (path: string) => path === '/nodes' },
  { to: '/queues', label: 'Queues', matches: (path: string) => path === '/queues' },
  { to: '/schedules', label: 'Schedules', matches: (path: string) => path === '/schedules' },
];

export function App() {
  const location = useLocation();
  const { required } = useCredentialState();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <Link to="/" className="brand">
          Tork
        </Link>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((section) => (
              <li key={section.to}>
                <Link to={section.to} aria-current={section.matches(location.path) ? 'page' : undefined}>
                  {section.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {required === undefined ? page(location.path) : <AuthPrompt reason={required} />}
      </main>
    </>
  );
}

function page(path: string): ReactNode {
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job?.[1] !== undefined) return <JobPage id={decodeURIComponent(job[1])} />;
  switch (path) {
    case '/':
    case '/jobs':
      return <JobsPage />;
    case '/submit':
      return <SubmitPage />;
    case '/nodes':
      return <NodesPage />;
    case '/queues':
      return <QueuesPage />;
    case '/schedules':
      return <SchedulesPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            Nothing is at this address. <Link to="/">See the jobs</Link>.
          </p>
        </section>
      );
  }
}
