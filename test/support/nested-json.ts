/** `{"username":"a","x":…}` with x nested `levels` deep, in arrays or in objects. */
export function nestedJson(
  levels: number,
  shape: 'arrays' | 'objects',
): string {
  const x =
    shape === 'arrays'
      ? '['.repeat(levels) + ']'.repeat(levels)
      : '{"":'.repeat(levels) + '1' + '}'.repeat(levels);
  return `{"username":"a","x":${x}}`;
}
