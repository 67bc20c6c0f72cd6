/** commander helper for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
