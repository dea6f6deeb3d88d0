/** Machine-readable kinds of radpo errors; the CLI maps them to exit codes and hints. */
export type RadpoErrorCode =
  | 'config'
  | 'data'
  | 'plugin'
  | 'backend'
  | 'numeric'
  | 'io'
  | 'not-implemented';

/** The one error class radpo throws on purpose. `code` says which part failed; `cause` keeps the original. */
export class RadpoError extends Error {
  readonly code: RadpoErrorCode;

  constructor(code: RadpoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RadpoError';
    this.code = code;
  }
}

/** Location of a bad value in a data file. */
export interface DataErrorLocation {
  file: string;
  /** 1-based line (JSONL) or element index (JSON array). */
  line: number;
  /** Dotted path of the field, when the problem is one field. */
  field?: string;
}

/** A bad row in a data file: names the file, line, field, what arrived and what was expected. */
export class DataError extends RadpoError {
  readonly location: DataErrorLocation;
  /** Short reason used as the key when bad rows are skipped and counted. */
  readonly reason: string;

  constructor(location: DataErrorLocation, reason: string, detail: string, options?: { cause?: unknown }) {
    const where = `${location.file}:${location.line}${location.field ? ` field "${location.field}"` : ''}`;
    super('data', `${where}: ${detail}`, options);
    this.name = 'DataError';
    this.location = location;
    this.reason = reason;
  }
}

/** Describes a value for error messages: its JSON text, shortened, or its type. */
export function describeValue(value: unknown, maxLength = 60): string {
  if (value === undefined) return 'nothing (the field is missing)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > maxLength ? `${text.slice(0, maxLength)}... (${text.length} characters)` : text;
}

/** Returns the candidate closest to `input` by edit distance, or undefined when none is close. */
export function suggestName(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor(input.length / 3));
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length];
}
