// One structured logger for the whole process. JSON lines when stdout is not a terminal (sidecars,
// log shippers); short human lines on a terminal. Secret-bearing keys are redacted wherever they
// appear, as a second fence behind the rule that secrets are never passed to the logger at all.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const REDACTED_KEYS = ['password', 'token', 'secret', 'secretAccessKey', 'sessionToken', 'authorization'];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** 'json' | 'pretty' | 'auto' (pretty on a TTY). */
  format?: 'json' | 'pretty' | 'auto';
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const destination = opts.destination ?? process.stderr;
  const isTty = (destination as NodeJS.WriteStream).isTTY === true;
  const format = opts.format === undefined || opts.format === 'auto' ? (isTty ? 'pretty' : 'json') : opts.format;
  const redact = {
    paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`]),
    censor: '[redacted]',
  };
  const base = { level: opts.level ?? 'info', redact, base: undefined as undefined, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') return pino(base, destination as pino.DestinationStream);
  return pino(base, prettyStream(destination));
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Turns pino's JSON lines into `time LEVEL msg key=value ...` for people at a terminal. */
function prettyStream(out: NodeJS.WritableStream): pino.DestinationStream {
  return {
    write(line: string) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        out.write(line);
        return;
      }
      const { time, level, msg, ...rest } = rec;
      const t = typeof time === 'string' ? time.slice(11, 23) : '';
      const extras = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      out.write(`${t} ${LEVEL_NAMES[level as number] ?? level} ${msg ?? ''}${extras ? ' ' + extras : ''}\n`);
    },
  };
}
