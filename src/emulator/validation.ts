// Request validation with the wording AWS services use for modelled constraints:
// "1 validation error detected: Value null at 'sql' failed to satisfy constraint: Member must not be null".

import { serializationError, validationError } from './errors.js';

type Kind = 'string' | 'boolean' | 'list' | 'structure';

interface MemberRule {
  kind: Kind;
  required?: boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
}

export type Shape = Record<string, MemberRule>;

const ARN: MemberRule = { kind: 'string', required: true, min: 11, max: 100 };
const DB_NAME: MemberRule = { kind: 'string', max: 64 };
const ID: MemberRule = { kind: 'string', max: 192 };
const SQL: MemberRule = { kind: 'string', required: true, max: 65536 };
const TYPE_HINTS = ['JSON', 'UUID', 'TIMESTAMP', 'DATE', 'TIME', 'DECIMAL'] as const;

export const EXECUTE_SHAPE: Shape = {
  resourceArn: ARN,
  secretArn: ARN,
  sql: SQL,
  database: DB_NAME,
  schema: DB_NAME,
  parameters: { kind: 'list' },
  transactionId: ID,
  includeResultMetadata: { kind: 'boolean' },
  continueAfterTimeout: { kind: 'boolean' },
  resultSetOptions: { kind: 'structure' },
  formatRecordsAs: { kind: 'string', values: ['NONE', 'JSON'] },
};

export const BATCH_SHAPE: Shape = {
  resourceArn: ARN,
  secretArn: ARN,
  sql: SQL,
  database: DB_NAME,
  schema: DB_NAME,
  parameterSets: { kind: 'list' },
  transactionId: ID,
};

export const BEGIN_SHAPE: Shape = { resourceArn: ARN, secretArn: ARN, database: DB_NAME, schema: DB_NAME };

export const END_SHAPE: Shape = { resourceArn: ARN, secretArn: ARN, transactionId: { ...ID, required: true } };

const RESULT_SET_OPTIONS_SHAPE: Shape = {
  decimalReturnType: { kind: 'string', values: ['STRING', 'DOUBLE_OR_LONG'] },
  longReturnType: { kind: 'string', values: ['STRING', 'LONG'] },
};

export function validateRequest(body: Record<string, unknown>, shape: Shape): void {
  const problems: string[] = [];
  checkShape(body, shape, '', problems);
  if (shape === EXECUTE_SHAPE) {
    if (isObject(body.resultSetOptions)) checkShape(body.resultSetOptions, RESULT_SET_OPTIONS_SHAPE, 'resultSetOptions.', problems);
    checkParameters(body.parameters, 'parameters', problems);
  }
  if (shape === BATCH_SHAPE && Array.isArray(body.parameterSets)) {
    body.parameterSets.forEach((set, i) => {
      if (!Array.isArray(set)) throw serializationError(`Expected a list at 'parameterSets.${i + 1}'`);
      checkParameters(set, `parameterSets.${i + 1}.member`, problems);
    });
  }
  if (problems.length > 0) {
    const noun = problems.length === 1 ? 'error' : 'errors';
    throw validationError(`${problems.length} validation ${noun} detected: ${problems.join('; ')}`);
  }
}

function checkShape(body: Record<string, unknown>, shape: Shape, prefix: string, problems: string[]): void {
  for (const [name, rule] of Object.entries(shape)) {
    const value = body[name];
    const path = prefix + name;
    if (value === undefined || value === null) {
      if (rule.required) problems.push(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
      continue;
    }
    checkKind(value, rule.kind, path);
    if (typeof value === 'string') checkString(value, rule, path, problems);
  }
}

function checkParameters(parameters: unknown, path: string, problems: string[]): void {
  if (!Array.isArray(parameters)) return;
  parameters.forEach((p, i) => {
    if (!isObject(p)) throw serializationError(`Expected a structure at '${path}.${i + 1}'`);
    checkShape(
      p,
      {
        name: { kind: 'string' },
        value: { kind: 'structure' },
        typeHint: { kind: 'string', values: TYPE_HINTS },
      },
      `${path}.${i + 1}.member.`,
      problems,
    );
  });
}

function checkKind(value: unknown, kind: Kind, path: string): void {
  const ok =
    (kind === 'string' && typeof value === 'string') ||
    (kind === 'boolean' && typeof value === 'boolean') ||
    (kind === 'list' && Array.isArray(value)) ||
    (kind === 'structure' && isObject(value));
  if (!ok) throw serializationError(`Unexpected value type at '${path}': expected a ${kind}`);
}

function checkString(value: string, rule: MemberRule, path: string, problems: string[]): void {
  const shown = value.length > 100 ? value.slice(0, 100) + '...' : value;
  if (rule.min !== undefined && value.length < rule.min) {
    problems.push(`Value '${shown}' at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`);
  }
  if (rule.max !== undefined && value.length > rule.max) {
    problems.push(`Value '${shown}' at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`);
  }
  if (rule.values && !rule.values.includes(value)) {
    problems.push(`Value '${shown}' at '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${rule.values.join(', ')}]`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
