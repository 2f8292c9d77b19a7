/**
 * A value the codec cannot convert, with the SQLSTATE the session should put in the
 * ErrorResponse (22P03 for malformed binary parameters, 22021 for bad UTF-8, 0A000 for a
 * format the proxy does not implement, XX000 for a Data API value of an unexpected shape).
 */
export class TypeCodecError extends Error {
  readonly sqlstate: string;
  /** 1-based Bind parameter number, when the error concerns a parameter. */
  readonly parameterNumber: number | undefined;

  constructor(sqlstate: string, message: string, parameterNumber?: number) {
    super(message);
    this.name = 'TypeCodecError';
    this.sqlstate = sqlstate;
    this.parameterNumber = parameterNumber;
  }
}

export const SQLSTATE = {
  invalidBinaryRepresentation: '22P03',
  characterNotInRepertoire: '22021',
  datetimeFieldOverflow: '22008',
  invalidTextRepresentation: '22P02',
  datatypeMismatch: '42804',
  featureNotSupported: '0A000',
  internalError: 'XX000',
} as const;
