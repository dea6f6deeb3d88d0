/**
 * Splits a dotted path such as `data.answers.0` into its segments. Returns undefined when a segment
 * is empty (`a..b`, `.a`, `a.`), because such a path can never match a field.
 */
export function splitDottedPath(path: string): string[] | undefined {
  const segments = path.split('.');
  return segments.every((segment) => segment.length > 0) ? segments : undefined;
}

/**
 * Returns the value at a dotted path, or undefined when any step is missing. A segment of digits
 * indexes an array. On an object every segment is a key, so `{"0": ...}` is reachable as `0` too.
 * Keys that contain a dot cannot be addressed.
 */
export function getAtPath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (isJsonObject(current)) {
      if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/** Returns true for a JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
