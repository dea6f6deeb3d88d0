import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { RadpoError, describeValue, suggestName } from './errors';

/** A JSON Schema as radpo writes them: plain objects, draft-07, every property with a description. */
export type JsonSchema = Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/** Compiles a schema once per process; later calls with the same object reuse the validator. */
export function compileSchema(schema: JsonSchema, label: string): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    // One schema can be loaded twice in a process (a package's source and its build, in tests), and ajv
    // rejects a repeated $id. Validators compiled before keep working after the removal.
    if (typeof schema.$id === 'string' && ajv.getSchema(schema.$id)) ajv.removeSchema(schema.$id);
    try {
      // A test process may load a package from its build and from its sources, with two equal schema
      // objects. ajv rejects a second schema with an $id it already has, so the older one is replaced.
      const id = typeof schema.$id === 'string' ? schema.$id : undefined;
      if (id && ajv.getSchema(id)) ajv.removeSchema(id);
      validate = ajv.compile(schema);
    } catch (error) {
      throw new RadpoError('config', `the JSON Schema of ${label} does not compile: ${(error as Error).message}`, {
        cause: error,
      });
    }
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Validates `value` against `schema` and returns a copy with the schema's defaults applied; the
 * caller's object is never modified. Throws a RadpoError listing every problem with its JSON path,
 * what arrived and what was expected, and the nearest valid name for a misspelled key.
 */
export function validateWithDefaults<T>(schema: JsonSchema, value: unknown, label: string): T {
  const validate = compileSchema(schema, label);
  const copy = value === undefined ? {} : structuredClone(value);
  if (!validate(copy)) {
    const lines = (validate.errors ?? []).map((error) => `  - ${formatSchemaError(error, copy, schema)}`);
    throw new RadpoError('config', `invalid ${label}:\n${dedupe(lines).join('\n')}`);
  }
  return copy as T;
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}

function formatSchemaError(error: ErrorObject, root: unknown, schema: JsonSchema): string {
  const path = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1).replace(/\//g, '.');
  const arrived = describeValue(valueAt(root, error.instancePath));
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const where = error.instancePath === '' ? '' : ` in ${path}`;
      const known = propertyNames(schemaAt(schema, error.schemaPath));
      const suggestion = suggestName(key, known);
      const hint = suggestion ? ` Did you mean "${suggestion}"?` : '';
      const list = known.length > 0 ? ` Valid keys: ${known.join(', ')}.` : '';
      return `unknown key "${key}"${where}.${hint}${list}`;
    }
    case 'enum':
      return `${path}: expected one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${arrived}`;
    case 'type':
      return `${path}: expected ${String(error.params.type)}, got ${arrived}`;
    case 'required':
      return `${error.instancePath === '' ? '' : `${path}: `}missing required key "${String(error.params.missingProperty)}"`;
    default:
      return `${path}: ${error.message ?? 'is invalid'}, got ${arrived}`;
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let current: unknown = root;
  for (const part of pointer.slice(1).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Follows an ajv schemaPath such as `#/properties/model/additionalProperties` to the object schema. */
function schemaAt(schema: JsonSchema, schemaPath: string): JsonSchema {
  const parts = schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean);
  parts.pop(); // the keyword itself, such as "additionalProperties"
  let current: unknown = schema;
  for (const part of parts) {
    if (current === null || typeof current !== 'object') return {};
    current = (current as Record<string, unknown>)[decodeURIComponent(part)];
  }
  return (current as JsonSchema) ?? {};
}

function propertyNames(schema: JsonSchema): string[] {
  const properties = schema.properties;
  return properties && typeof properties === 'object' ? Object.keys(properties) : [];
}
