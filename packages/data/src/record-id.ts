import { describeValue } from '@radpo/core';
import { getAtPath } from './dotted-path';
import { badRow, describeRowKeys, type RowLocation } from './row-errors';

/**
 * Returns the record's id as a string. A mapped path (`fieldMap.id`) must be present in every row.
 * Without one the id comes from `id`, else `source_index`, else the row's line or element number.
 * Throws a DataError when the value is neither a non-empty string nor a finite number.
 */
export function readId(row: Record<string, unknown>, location: RowLocation, mappedPath: string | undefined): string {
  let path: string;
  let value: unknown;

  if (mappedPath !== undefined) {
    path = mappedPath;
    value = getAtPath(row, mappedPath);
    if (value === undefined || value === null) {
      throw badRow(
        location,
        'missing-field',
        `the field is missing, and fieldMap.id names it as the id. ${describeRowKeys(row)}`,
        mappedPath,
      );
    }
  } else if (row.id !== undefined && row.id !== null) {
    path = 'id';
    value = row.id;
  } else if (row.source_index !== undefined && row.source_index !== null) {
    path = 'source_index';
    value = row.source_index;
  } else {
    return String(location.line);
  }

  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw badRow(location, 'invalid-type', `expected a non-empty string or a number as the id, got ${describeValue(value)}`, path);
}
