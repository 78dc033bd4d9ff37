import { exampleFor } from './schema-example';

describe('exampleFor', () => {
  it('fills the required properties of an object schema, preferring defaults and enums', () => {
    const schema = {
      type: 'object',
      required: ['seconds', 'mode', 'tags', 'nested'],
      properties: {
        seconds: { type: 'number', minimum: 1 },
        mode: { type: 'string', enum: ['fast', 'slow'] },
        tags: { type: 'array', items: { type: 'string' } },
        nested: { type: 'object', required: ['on'], properties: { on: { type: 'boolean', default: true } } },
        optional: { type: 'string' },
      },
    };
    expect(exampleFor(schema)).toEqual({ seconds: 1, mode: 'fast', tags: [], nested: { on: true } });
  });

  it('uses examples, const and the first non-null variant', () => {
    expect(exampleFor({ type: 'object', examples: [{ url: 'https://x' }] })).toEqual({ url: 'https://x' });
    expect(exampleFor({ const: 3 })).toBe(3);
    expect(exampleFor({ anyOf: [{ type: 'integer' }, { type: 'null' }] })).toBe(0);
    expect(exampleFor({ type: ['null', 'string'] })).toBe('');
  });

  it('falls back to {} for anything it cannot read', () => {
    expect(exampleFor(null)).toEqual({});
    expect(exampleFor({})).toEqual({});
  });
});
