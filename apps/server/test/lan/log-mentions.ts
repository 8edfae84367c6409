/** Whether a log line mentions `value` in one of its top-level string fields. */
export function logMentions(line: Readonly<Record<string, unknown>>, value: string): boolean {
  return Object.values(line).some((field) => typeof field === 'string' && field.includes(value));
}
