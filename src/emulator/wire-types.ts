// Request shapes as they arrive in JSON (blobs are base64 strings, numbers are JS numbers).

export interface WireField {
  isNull?: boolean;
  booleanValue?: boolean;
  longValue?: number;
  doubleValue?: number | string;
  stringValue?: string;
  blobValue?: string;
  arrayValue?: unknown;
}

export interface WireSqlParameter {
  name?: string;
  value?: WireField;
  typeHint?: string;
}

export interface WireResultSetOptions {
  decimalReturnType?: 'STRING' | 'DOUBLE_OR_LONG';
  longReturnType?: 'LONG' | 'STRING';
}

export interface ExecuteStatementRequest {
  resourceArn: string;
  secretArn: string;
  sql: string;
  database?: string;
  schema?: string;
  parameters?: WireSqlParameter[];
  transactionId?: string;
  includeResultMetadata?: boolean;
  continueAfterTimeout?: boolean;
  resultSetOptions?: WireResultSetOptions;
  formatRecordsAs?: 'NONE' | 'JSON';
}

export interface BatchExecuteStatementRequest {
  resourceArn: string;
  secretArn: string;
  sql: string;
  database?: string;
  schema?: string;
  parameterSets?: WireSqlParameter[][];
  transactionId?: string;
}

export interface BeginTransactionRequest {
  resourceArn: string;
  secretArn: string;
  database?: string;
  schema?: string;
}

export interface EndTransactionRequest {
  resourceArn: string;
  secretArn: string;
  transactionId: string;
}
