import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataError } from '@radpo/core';

/** A temporary folder for fixture files, removed by `remove()`. */
export interface FixtureDir {
  path: string;
  /** Writes `text` to `name` inside the folder and returns the file's path. */
  writeText(name: string, text: string): Promise<string>;
  /** Writes each row as one JSON line and returns the file's path. */
  writeJsonl(name: string, rows: unknown[]): Promise<string>;
  remove(): Promise<void>;
}

export async function createFixtureDir(): Promise<FixtureDir> {
  const dir = await mkdtemp(path.join(tmpdir(), 'radpo-data-test-'));
  const writeText = async (name: string, text: string): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, text, 'utf8');
    return file;
  };
  return {
    path: dir,
    writeText,
    writeJsonl: (name, rows) => writeText(name, rows.map((row) => JSON.stringify(row)).join('\n') + '\n'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** What a bad-row test expects of the DataError. */
export interface ExpectedDataError {
  reason: string;
  file: string;
  line: number;
  field?: string;
}

/**
 * Awaits `promise`, asserts that it rejected with a DataError matching `expected`, and returns the
 * error for further checks. The message must name the file, the `file:line` location and the field.
 */
export async function expectDataError(promise: Promise<unknown>, expected: ExpectedDataError): Promise<DataError> {
  const error = await promise.then(
    () => assert.fail('expected a DataError, but the read succeeded'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
  assert.equal(error.reason, expected.reason);
  assert.equal(error.location.file, expected.file);
  assert.equal(error.location.line, expected.line);
  assert.equal(error.location.field, expected.field);
  assert.ok(error.message.includes(`${expected.file}:${expected.line}`), `message lacks file:line: ${error.message}`);
  if (expected.field !== undefined) {
    assert.ok(error.message.includes(`"${expected.field}"`), `message lacks the field: ${error.message}`);
  }
  return error;
}
