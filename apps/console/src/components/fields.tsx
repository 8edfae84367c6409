import type { ComponentChildren } from 'preact';

/** A definition list of label → value rows (a card's body). */
export function Fields(props: { readonly rows: readonly (readonly [string, ComponentChildren])[] }) {
  return (
    <dl class="fields">
      {props.rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A view's error line (the node's message, as it said it). */
export function ErrorLine(props: { readonly error: Error | string | undefined }) {
  if (props.error === undefined) return null;
  return (
    <p class="error" role="alert">
      {typeof props.error === 'string' ? props.error : props.error.message}
    </p>
  );
}

/** A JSON value, pretty-printed. */
export function JsonBlock(props: { readonly value: unknown }) {
  return <pre class="json">{JSON.stringify(props.value, null, 2)}</pre>;
}
