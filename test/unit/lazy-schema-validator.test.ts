/** The server's JSON Schema validator, built at first use: it must still validate like Ajv. */
import { describe, expect, test } from 'vitest';
import { LazySchemaValidator } from '../../src/server/lazy-schema-validator.js';

const SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    email: { type: 'string', format: 'email' },
  },
  required: ['name'],
} as const;

describe('LazySchemaValidator', () => {
  test.each([
    [{ name: 'ada' }, true],
    [{ name: 'ada', email: 'ada@example.org' }, true],
    [{}, false],
    [{ name: '' }, false],
    // Formats are checked, as with the SDK's default (Ajv with ajv-formats).
    [{ name: 'ada', email: 'not an address' }, false],
  ])('%j valid: %s', (input, valid) => {
    const validate = new LazySchemaValidator().getValidator(SCHEMA);
    const result = validate(input);
    expect(result.valid).toBe(valid);
    if (!valid) expect(result.errorMessage).toEqual(expect.any(String));
  });

  test('one validator serves many schemas', () => {
    const validator = new LazySchemaValidator();
    expect(validator.getValidator({ type: 'number' })(1).valid).toBe(true);
    expect(validator.getValidator({ type: 'string' })(1).valid).toBe(false);
  });
});
