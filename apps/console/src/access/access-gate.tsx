import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiClient, NodeApiError } from '../api/api-client.js';
import type { NodeDetails } from '../api/types.js';
import { adminKeyStore } from './admin-key-store.js';

/** Where the console stands with the node's admin routes. */
type Access =
  | { readonly state: 'checking' }
  | { readonly state: 'open'; readonly node: NodeDetails }
  | { readonly state: 'needs-key'; readonly refused: string | undefined }
  | { readonly state: 'loopback-only'; readonly message: string }
  | { readonly state: 'unreachable'; readonly message: string };

/** What the views get once the node let the console in. */
export interface Session {
  readonly api: ApiClient;
  readonly node: NodeDetails;
  /** Forgets the admin key and asks for it again. */
  readonly signOut: () => void;
}

/**
 * Opens the console only when the node's admin routes answer: asks for the admin key
 * (`TROSYN_ADMIN_KEY`) once and keeps it for the tab's session, says when a key was refused,
 * and explains the loopback-only rule of a node without an admin key.
 */
export function AccessGate(props: { readonly children: (session: Session) => ComponentChildren }) {
  const [access, setAccess] = useState<Access>({ state: 'checking' });
  const [attempt, setAttempt] = useState(0);
  // One client for the page's life: views key their effects on it. A 401 while the console is
  // open (the node's key changed) sends the operator back to the key form.
  const open = useRef(false);
  const api = useMemo(
    () =>
      new ApiClient(
        () => adminKeyStore.get(),
        () => {
          // Only from an open console: the gate's own check handles its 401 itself.
          if (!open.current) return;
          open.current = false;
          setAttempt((count) => count + 1);
        },
      ),
    [],
  );

  useEffect(() => {
    let stale = false;
    api
      .get<NodeDetails>('/api/v1/admin/node')
      .then((node) => {
        if (stale) return;
        open.current = true;
        setAccess({ state: 'open', node });
      })
      .catch((error: unknown) => {
        if (stale) return;
        if (error instanceof NodeApiError && error.status === 401) {
          const tried = adminKeyStore.get() !== undefined;
          adminKeyStore.clear();
          setAccess({ state: 'needs-key', refused: tried ? error.message : undefined });
        } else if (error instanceof NodeApiError && error.status === 403 && error.code === 'admin_loopback_only') {
          setAccess({ state: 'loopback-only', message: error.message });
        } else if (error instanceof NodeApiError && error.status === 403) {
          // A key that opens other routes but not these (the client key, TROSYN_API_KEY).
          adminKeyStore.clear();
          setAccess({ state: 'needs-key', refused: error.message });
        } else {
          setAccess({ state: 'unreachable', message: error instanceof Error ? error.message : String(error) });
        }
      });
    return () => {
      stale = true;
    };
    // Re-checked after every key the operator submits.
  }, [attempt]);

  const retry = (): void => setAttempt((count) => count + 1);
  switch (access.state) {
    case 'checking':
      return <div class="gate">Connecting to the node…</div>;
    case 'open':
      return <>{props.children({ api, node: access.node, signOut: () => (adminKeyStore.clear(), retry()) })}</>;
    case 'needs-key':
      // Keyed by the refusal, so a refused key does not stay in the field.
      return <KeyForm key={access.refused ?? ''} refused={access.refused} onSubmit={(key) => (adminKeyStore.set(key), retry())} />;
    case 'loopback-only':
      return (
        <div class="gate" data-testid="loopback-only">
          <h1>Console reachable from this machine only</h1>
          <p>{access.message}</p>
          <p>
            Open <code>http://127.0.0.1:{location.port || '80'}/console</code> on the node itself, or set <code>TROSYN_ADMIN_KEY</code>{' '}
            on the node and restart it to open the console from other machines with that key.
          </p>
        </div>
      );
    case 'unreachable':
      return (
        <div class="gate">
          <h1>The node did not answer</h1>
          <p class="error">{access.message}</p>
          <button onClick={retry}>Try again</button>
        </div>
      );
  }
}

function KeyForm(props: { readonly refused: string | undefined; readonly onSubmit: (key: string) => void }) {
  const [key, setKey] = useState('');
  return (
    <form
      class="gate"
      data-testid="key-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (key.trim() !== '') props.onSubmit(key.trim());
      }}
    >
      <h1>Trosyn console</h1>
      <p>
        This node's console needs its admin key (<code>TROSYN_ADMIN_KEY</code>). The client key <code>TROSYN_API_KEY</code> does not
        open it. The key is kept for this tab only.
      </p>
      {props.refused === undefined ? null : (
        <p class="error" role="alert" data-testid="key-refused">
          Key refused: {props.refused}
        </p>
      )}
      <label>
        Admin key <input type="password" name="admin-key" autocomplete="off" value={key} onInput={(event) => setKey(event.currentTarget.value)} autoFocus />
      </label>
      <button type="submit">Open the console</button>
    </form>
  );
}
