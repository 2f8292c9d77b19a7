// COPY data codec for the Data API mode: COPY FROM STDIN input parsing and COPY TO STDOUT output.
export { CopyInParser, type CopyRow } from './copy-in-parser.js';
export { CopyOutFormatter } from './copy-out-formatter.js';
export { COPY_SQLSTATE, CopyFormatError, copyErrorContext, limitPrintoutLength } from './copy-format-error.js';
