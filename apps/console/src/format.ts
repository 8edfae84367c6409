/** `3 h 12 min`, `4 min 05 s`, `12.3 s`: an uptime or duration for people. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** `1.2 MB`: a byte count in decimal units. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** `5 s ago`, `in 3 min`: an ISO time relative to `now` (milliseconds). */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (iso === null || iso === undefined) return 'never';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = (now - at) / 1000;
  const text = formatDuration(Math.abs(seconds)).replace(/\.\d s$/, ' s');
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

/** `292.8 k`, `2.61 B`: a parameter count. */
export function formatCount(count: number | null): string {
  if (count === null) return '—';
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)} B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)} M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)} k`;
  return String(count);
}
