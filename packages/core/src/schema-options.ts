import type { JsonSchema } from './validation';

/** One option of a JSON Schema, flattened to a dotted path; what `radpo plugins` and the docs list. */
export interface SchemaOption {
  /** Dotted path such as `training.warmup.steps`; array items add `[]`, as in `losses[].name`. */
  path: string;
  /** Readable type: `number`, `integer`, `string`, `boolean`, `object`, `array of string`, or the allowed values. */
  type: string;
  /** Bounds and other constraints in words, such as `> 0, <= 1`; empty when there are none. */
  constraints: string;
  /** The schema's default, when it has one. */
  default?: unknown;
  hasDefault: boolean;
  required: boolean;
  description: string;
}

/**
 * Lists every property of an object schema, depth first in declaration order, descending into nested
 * object properties and into the items of arrays of objects.
 */
export function listSchemaOptions(schema: JsonSchema, prefix = ''): SchemaOption[] {
  const options: SchemaOption[] = [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [name, property] of Object.entries(properties)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    options.push({
      path,
      type: describeSchemaType(property),
      constraints: describeConstraints(property),
      default: property.default,
      hasDefault: 'default' in property,
      required: required.has(name),
      description: typeof property.description === 'string' ? property.description : '',
    });
    if (property.type === 'object' && property.properties) options.push(...listSchemaOptions(property, path));
    const items = property.items as JsonSchema | undefined;
    if (property.type === 'array' && items?.type === 'object' && items.properties) options.push(...listSchemaOptions(items, `${path}[]`));
  }
  return options;
}

/** Returns a short readable type for a property schema. */
export function describeSchemaType(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(alternatives)) return alternatives.map(describeSchemaType).join(' | ');
  const type = schema.type;
  if (Array.isArray(type)) return type.join(' | ');
  if (type === 'array') {
    const items = schema.items as JsonSchema | undefined;
    return items ? `array of ${describeSchemaType(items)}` : 'array';
  }
  return typeof type === 'string' ? type : 'any';
}

function describeConstraints(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.minimum !== undefined) parts.push(`>= ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) parts.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) parts.push(`<= ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) parts.push(`< ${schema.exclusiveMaximum}`);
  if (schema.minLength !== undefined) parts.push(`at least ${plural(Number(schema.minLength), 'character')}`);
  if (schema.minItems !== undefined) parts.push(`at least ${plural(Number(schema.minItems), 'item')}`);
  if (schema.pattern !== undefined) parts.push(`matches /${schema.pattern}/`);
  return parts.join(', ');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
