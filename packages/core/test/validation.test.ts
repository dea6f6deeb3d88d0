import assert from 'node:assert/strict';
import { RadpoError, compileSchema, validateWithDefaults, type JsonSchema } from '../src';

const SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    backend: { type: 'string', enum: ['auto', 'wasm', 'cpu'], default: 'auto', description: 'Backend.' },
    training: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Optimization.',
      properties: {
        maxSteps: { type: 'integer', default: 10, description: 'Steps.' },
        learningRate: { type: 'number', default: 0.001, description: 'Rate.' },
      },
    },
    losses: {
      type: 'array',
      default: [],
      description: 'Loss terms.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', description: 'Name.' }, weight: { type: 'number', default: 1, description: 'Weight.' } },
      },
    },
  },
};

/** Returns the message of the RadpoError that validating `value` throws. */
function validationMessage(value: unknown): string {
  try {
    validateWithDefaults(SCHEMA, value, 'test config');
  } catch (error) {
    assert.ok(error instanceof RadpoError, `expected a RadpoError, got ${String(error)}`);
    assert.equal(error.code, 'config');
    return error.message;
  }
  return assert.fail('expected the value to be rejected');
}

describe('validateWithDefaults', () => {
  it('should report a wrong type with its path and what arrived', () => {
    const message = validationMessage({ training: { maxSteps: 'ten' } });

    assert.match(message, /^invalid test config:/);
    assert.ok(message.includes('training.maxSteps: expected integer, got "ten"'), message);
  });

  it('should list the allowed values of an enum', () => {
    const message = validationMessage({ backend: 'gpu' });

    assert.ok(message.includes('backend: expected one of "auto", "wasm", "cpu", got "gpu"'), message);
  });

  it('should suggest the nearest key for a misspelled one', () => {
    const message = validationMessage({ training: { learningRat: 0.1 } });

    assert.ok(message.includes('unknown key "learningRat" in training. Did you mean "learningRate"?'), message);
    assert.ok(message.includes('Valid keys: maxSteps, learningRate.'), message);
  });

  it('should give array indexes in the path', () => {
    const message = validationMessage({ losses: [{ name: 'dpo' }, { name: 'ipo', wieght: 2 }] });

    assert.ok(message.includes('unknown key "wieght" in losses.1. Did you mean "weight"?'), message);
  });

  it('should name a missing required key', () => {
    const message = validationMessage({ losses: [{ weight: 2 }] });

    assert.ok(message.includes('losses.0: missing required key "name"'), message);
  });

  it('should list every problem at once', () => {
    const message = validationMessage({ backend: 'gpu', training: { maxSteps: 1.5 } });

    assert.equal(message.split('\n').length, 3, message);
  });

  it('should fill defaults into a copy only', () => {
    const input = { training: { maxSteps: 3 } };

    const resolved = validateWithDefaults<Record<string, any>>(SCHEMA, input, 'test config');

    assert.deepEqual(resolved, { backend: 'auto', training: { maxSteps: 3, learningRate: 0.001 }, losses: [] });
    assert.deepEqual(input, { training: { maxSteps: 3 } });
  });
});

describe('compileSchema', () => {
  it('should return the same validator for the same schema object', () => {
    const schema: JsonSchema = { type: 'object', properties: { a: { type: 'number', description: 'A.' } } };

    assert.equal(compileSchema(schema, 'schema a'), compileSchema(schema, 'schema a'));
  });

  it('should compile each schema once per process', () => {
    let reads = 0;
    const counted = new Proxy<JsonSchema>(
      { type: 'object', properties: { a: { type: 'number', default: 1, description: 'A.' } } },
      {
        get(target, property, receiver) {
          reads++;
          return Reflect.get(target, property, receiver);
        },
      },
    );
    validateWithDefaults(counted, {}, 'counted schema');
    assert.ok(reads > 0, 'compiling did not read the schema');
    reads = 0;

    for (let i = 0; i < 3; i++) validateWithDefaults(counted, { a: i }, 'counted schema');

    assert.equal(reads, 0);
  });

  it('should name the schema that does not compile', () => {
    assert.throws(
      () => compileSchema({ type: 'no-such-type' }, 'the options of loss plugin "broken"'),
      (error: unknown) => error instanceof RadpoError && /the JSON Schema of the options of loss plugin "broken" does not compile/.test(error.message),
    );
  });
});
