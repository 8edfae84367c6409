import { useEffect, useState } from 'preact/hooks';
import { AccessGate, type Session } from './access/access-gate.js';
import { ActivityView } from './views/activity-view.js';
import { ConflictsView } from './views/conflicts-view.js';
import { ItemsView } from './views/items-view.js';
import { NodeView } from './views/node-view.js';
import { PeersView } from './views/peers-view.js';
import { PlaygroundView } from './views/playground-view.js';

const views = {
  node: { title: 'Node', render: (session: Session) => <NodeView session={session} /> },
  peers: { title: 'Peers', render: (session: Session) => <PeersView session={session} /> },
  conflicts: { title: 'Conflicts', render: (session: Session) => <ConflictsView session={session} /> },
  items: { title: 'Items', render: (session: Session) => <ItemsView session={session} /> },
  activity: { title: 'Activity', render: (session: Session) => <ActivityView session={session} /> },
  playground: { title: 'Playground', render: (session: Session) => <PlaygroundView session={session} /> },
} as const;

type ViewName = keyof typeof views;

// Views live in the URL's fragment (`/console#/peers`), so the node serves one page for all.
function viewOfHash(hash: string): ViewName {
  const name = hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return name in views ? (name as ViewName) : 'node';
}

function useHashView(): ViewName {
  const [view, setView] = useState(() => viewOfHash(location.hash));
  useEffect(() => {
    const onChange = (): void => setView(viewOfHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return view;
}

function Shell(props: { readonly session: Session }) {
  const current = useHashView();
  const { node } = props.session;
  useEffect(() => {
    document.title = `${views[current].title} · ${node.node_name} · Trosyn console`;
  }, [current, node.node_name]);
  return (
    <div class="shell">
      <header>
        <div class="brand">
          <strong>Trosyn</strong> <span class="node-name" data-testid="node-name">{node.node_name}</span>
          <code class="node-id">{node.node_id}</code>
        </div>
        <nav>
          {(Object.keys(views) as ViewName[]).map((name) => (
            <a key={name} href={`#/${name}`} class={name === current ? 'active' : ''} aria-current={name === current ? 'page' : undefined}>
              {views[name].title}
            </a>
          ))}
        </nav>
        {node.access.admin_key_configured ? (
          <button class="link" onClick={props.session.signOut} title="Forget the admin key for this tab">
            Sign out
          </button>
        ) : null}
      </header>
      {node.access.admin_key_configured ? null : (
        <p class="notice" data-testid="loopback-notice">
          No admin key is set on this node (<code>TROSYN_ADMIN_KEY</code>): the console answers on the loopback address only.
        </p>
      )}
      <main data-view={current}>{views[current].render(props.session)}</main>
    </div>
  );
}

/** The console: the access gate, then the navigation and the current view. */
export function App() {
  return <AccessGate>{(session) => <Shell session={session} />}</AccessGate>;
}
