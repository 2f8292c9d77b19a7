// The --workers flag of the IAM relay modes (dsql, rds-iam), also AURORA_PG_PROXY_WORKERS and the
// top-level `workers:` key of a configuration file. The data-api mode has no such flag: its
// sessions are waits on HTTPS calls, not CPU, and it stays in one process.
import type { Command } from 'commander';
import { envOption } from '../cli/common-options.js';

export const WORKERS_HELP =
  'processes serving clients, each with its own core (dsql and rds-iam only; data-api stays in one process): ' +
  'N, or auto for one per CPU; 1 is a single process. Login pacing is split evenly between them';

export function addWorkersOption(cmd: Command): Command {
  return cmd.addOption(envOption('--workers <n>', WORKERS_HELP, 'WORKERS', '1'));
}
