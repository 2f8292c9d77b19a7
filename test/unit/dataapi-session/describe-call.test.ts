// How a CALL is read for its Describe (describe-call.ts): the procedure's name, and which
// arguments are a `$n` of their own (their type is the argument's) or an expression holding one.
import { describe, expect, it } from 'vitest';
import { tokenize } from '../../../src/dataapi/sql/lexer.js';
import { readCall } from '../../../src/dataapi/session/describe-call.js';

const read = (text: string) => readCall(text, tokenize(text));

describe('readCall', () => {
  it('reads positional arguments, placeholders alone and inside expressions', () => {
    expect(read('CALL add_item($1, $2::int + 1, null)')).toEqual({
      schema: null,
      procedure: 'add_item',
      args: [
        { name: null, parameter: 1, text: '$1', hasParameters: true },
        { name: null, parameter: 0, text: '$2::int + 1', hasParameters: true },
        { name: null, parameter: 0, text: 'null', hasParameters: false },
      ],
    });
  });

  it('reads a schema, quoted names, named notation and nested parentheses', () => {
    expect(read('call "My Schema"."Add"(label => f($1, $2), n := $3) ;')).toEqual({
      schema: 'My Schema',
      procedure: 'Add',
      args: [
        { name: 'label', parameter: 0, text: 'f($1, $2)', hasParameters: true },
        { name: 'n', parameter: 3, text: '$3', hasParameters: true },
      ],
    });
    expect(read('CALL p()')).toEqual({ schema: null, procedure: 'p', args: [] });
  });

  it('gives up on what is not a plain call', () => {
    expect(read('SELECT p($1)')).toBeNull();
    expect(read('CALL p($1) extra')).toBeNull();
    expect(read('CALL p($1,)')).toBeNull();
    expect(read('CALL p(')).toBeNull();
  });
});
