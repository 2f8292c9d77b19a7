/**
 * Type codec of the Data API mode: pure functions between Data API values and PostgreSQL 15's
 * wire representations. No I/O.
 *
 * Catalogue (pg-types.ts)
 *   PgType { name, oid, typlen, arrayOid, elemOid, castName, delimiter, typmodRule }
 *   OID.<name>                      OIDs the codec uses (OID.int4 === 23 ...)
 *   typeByOid(oid), typeByName(typname), requireType(oid), elementTypeOf(t), allTypes()
 *   resolveTypeName(name)           typname, `_int4`, `int4[]`, serial/bigserial/smallserial,
 *                                   SQL-standard spellings; undefined for enums/domains
 *
 * RowDescription (oid-from-metadata.ts)
 *   resolveColumn(meta: ColumnMetadata) -> ResolvedColumn { type, elementType, typeOid,
 *       typeSize, typeModifier }       unknown names fall back on the java.sql type code,
 *                                      then text (arrays: text[]); typmod rebuilt from
 *                                      precision/scale only where unambiguous, else -1
 *   columnOfType(oid, typmod = -1) -> ResolvedColumn
 *   typmodFromMetadata(type, precision, scale) -> number
 *
 * DataRow values (text-output.ts, binary-output.ts, field-encoder.ts)
 *   fieldToText(field, column, style?) -> string | null   PostgreSQL's text output (TimeZone UTC;
 *                                      style: extra_float_digits and bytea_output)
 *   hasBinaryOutput(oid) -> boolean                    bool int2 int4 int8 oid float4 float8
 *                                                      text varchar bpchar name json jsonb
 *                                                      bytea uuid date time timetz timestamp
 *                                                      timestamptz numeric void point box xml
 *                                                      jsonpath, the types of binary/index.ts
 *                                                      ("char", interval, inet, ranges...), and
 *                                                      arrays of these; not reg*, tsvector...
 *   fieldToBinary(field, column) -> Buffer | null      PostgreSQL's binary output
 *   encodeField(field, column, format 0|1, style?) -> Buffer | null
 *   scalarToText / scalarToBinary(DataApiScalar, type) for one element
 *
 * Formatting helpers
 *   formatFloat4(x, efd = 1), formatFloat8(x, efd = 1)   float4out/float8out
 *   quoteArrayElement(text), formatArrayLiteral(nested), formatArrayFromFlat(flat, dims, lbs)
 *   byteaHex(bytes), byteaEscape(bytes)
 *
 * Bind parameters (param-input.ts)
 *   planParameter({ number, value: Buffer | null, format: 0 | 1, typeOid, userType? }) -> ParameterPlan
 *       { value: Field, typeHint?: TypeHint, sqlType?: string }
 *     sqlType is the type to write CAST(:p AS sqlType) with (`int4`, `"char"`, `int4[]`),
 *     undefined when the client left the type unspecified (OID 0 or unknown). Text values
 *     go as longValue (exact integers), doubleValue (plain float8), booleanValue, blobValue
 *     (bytea hex/escape) or else stringValue; typeHint only when the text has the hint's
 *     documented form. Binary input is decoded for hasBinaryInput(oid): bool int2 int4 int8
 *     oid float4 float8 text varchar bpchar name json jsonb jsonpath xml unknown bytea uuid date
 *     time timetz timestamp timestamptz numeric point box, the types of binary/index.ts, and
 *     arrays of these (sent as their text literal, sqlType `<elem>[]`); OID 0 in binary is taken
 *     as bytea (node-postgres Buffers); an enum or domain (userType, learnt at Describe) is read
 *     as what it is made of and cast to itself. binaryValueToText(buf, oid) serves binary COPY.
 *   TypeCodecError { sqlstate, parameterNumber? }  22P03 malformed binary ("incorrect binary
 *     data format in bind parameter N"), 22021 bad UTF-8, 22008 time out of range, 42804
 *     array element type mismatch, 0A000 binary format the proxy does not decode.
 */
export { OID, allTypes, elementTypeOf, requireType, resolveTypeName, typeByName, typeByOid } from './pg-types.js';
export type { PgType, TypmodRule } from './pg-types.js';
export { columnOfType, resolveColumn, typmodFromMetadata } from './oid-from-metadata.js';
export type { ResolvedColumn } from './oid-from-metadata.js';
export { DEFAULT_TEXT_STYLE, byteaEscape, byteaHex, fieldToText, scalarToText } from './text-output.js';
export type { DataApiScalar, TextStyle } from './text-output.js';
export { fieldToBinary, hasBinaryOutput, scalarToBinary } from './binary-output.js';
export { encodeField } from './field-encoder.js';
export { formatFloat4, formatFloat8 } from './float-format.js';
export { formatArrayFromFlat, formatArrayLiteral, quoteArrayElement } from './array-literal.js';
export type { ArrayTextElement } from './array-literal.js';
export { hasBinaryInput, planParameter } from './param-input.js';
export type { BindParameter, ParameterPlan } from './param-input.js';
export { SQLSTATE, TypeCodecError } from './errors.js';
