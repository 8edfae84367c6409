/** A labelled bar: `used` of `total` (slots in use, queue depth, a download's percent), with the figures as text. */
export function Meter(props: { readonly label: string; readonly used: number; readonly total: number; readonly testId?: string; readonly unit?: '%' }) {
  const fraction = props.total > 0 ? Math.min(1, props.used / props.total) : 0;
  return (
    <div class="meter" data-testid={props.testId}>
      <div class="meter-label">
        <span>{props.label}</span>
        <span class="figures">{props.unit === '%' ? `${props.used} %` : `${props.used} / ${props.total}`}</span>
      </div>
      <div class="meter-track" role="meter" aria-valuenow={props.used} aria-valuemin={0} aria-valuemax={props.total} aria-label={props.label}>
        <div class="meter-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
    </div>
  );
}
