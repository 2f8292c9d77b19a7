// ExecuteStatement: one statement, named parameters, records or formattedRecords.

import { cellToField, cellToJson, type LayoutOptions } from '../cell-layout.js';
import { loadColumnMetadata } from '../column-metadata.js';
import type { Session } from '../connections.js';
import type { EmulatorContext } from '../context.js';
import { unsupportedResult } from '../errors.js';
import { columnKind, toCell, type Cell } from '../fields.js';
import { toJson } from '../json-writer.js';
import { bindParameters, rejectArrayParameters } from '../params.js';
import { runInSession } from '../session-runner.js';
import { runStatement, type StatementResult } from '../statement-runner.js';
import { EXECUTE_SHAPE, validateRequest } from '../validation.js';
import type { ExecuteStatementRequest } from '../wire-types.js';
import { rejectMultipleStatements, rejectSchema, resultTooLarge } from './common.js';

export async function executeStatement(ctx: EmulatorContext, body: Record<string, unknown>): Promise<string> {
  validateRequest(body, EXECUTE_SHAPE);
  const req = body as unknown as ExecuteStatementRequest;
  rejectSchema(req.schema);
  rejectArrayParameters(req.parameters);
  rejectMultipleStatements(req.sql);
  const statement = bindParameters(req.sql, req.parameters);
  const asJson = req.formatRecordsAs === 'JSON';
  const limit = asJson ? ctx.options.maxFormattedRecordsBytes : ctx.options.maxResponseBytes;
  const layout: LayoutOptions = {
    decimalReturnType: req.resultSetOptions?.decimalReturnType ?? 'STRING',
    longReturnType: req.resultSetOptions?.longReturnType ?? 'LONG',
  };

  return runInSession(
    ctx,
    { transactionId: req.transactionId, database: req.database },
    req.continueAfterTimeout === true,
    async (session) => {
      // JSON text is never smaller than half the raw text, so twice the cap is surely over it.
      const result = await runStatement(session, statement, { maxRawChars: 2 * limit + 65536 });
      if (result.oversize) throw resultTooLarge(limit);
      if (!result.fields) {
        return toJson({ numberOfRecordsUpdated: result.rowCount ?? 0, generatedFields: [] });
      }
      const cells = await convertRows(session, result);
      const response = asJson
        ? { formattedRecords: formatRecords(result, cells, layout), numberOfRecordsUpdated: 0 }
        : {
            records: cells.map((row) => row.map((cell) => cellToField(cell, layout))),
            numberOfRecordsUpdated: 0,
            columnMetadata: req.includeResultMetadata
              ? await loadColumnMetadata(session.client, session.catalog, result.fields)
              : undefined,
          };
      const text = toJson(response);
      if (Buffer.byteLength(text) > limit) throw resultTooLarge(limit);
      return text;
    },
  );
}

async function convertRows(session: Session, result: StatementResult): Promise<Cell[][]> {
  const fields = result.fields ?? [];
  await session.catalog.ensure(
    session.client,
    fields.map((f) => f.dataTypeID),
  );
  const kinds = fields.map((f) => {
    const type = session.catalog.get(f.dataTypeID);
    return columnKind(type, type && type.typelem !== 0 ? session.catalog.get(type.typelem) : undefined);
  });
  return result.rows.map((row) => row.map((raw, i) => toCell(kinds[i], raw)));
}

function formatRecords(result: StatementResult, cells: Cell[][], layout: LayoutOptions): string {
  const labels = (result.fields ?? []).map((f) => f.name);
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate !== undefined) {
    throw unsupportedResult(`The result contains duplicate column names: ${duplicate}`);
  }
  return toJson(
    cells.map((row) => Object.fromEntries(row.map((cell, i) => [labels[i], cellToJson(cell, layout)]))),
  );
}
