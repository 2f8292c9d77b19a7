// ParameterStatus as PostgreSQL 14 and later sends it: a changed setting is reported once, just
// before the next ReadyForQuery, and only when its value differs from the one last reported.
import { encodeParameterStatus } from '../../protocol/backend-encoder.js';

export class ParameterReports {
  private readonly pending = new Map<string, string>();
  private readonly reported = new Map<string, string>();

  /** Messages for the values reported at the start of the session. */
  atStartup(pairs: Iterable<[string, string]>): Buffer[] {
    const out: Buffer[] = [];
    for (const [name, value] of pairs) {
      out.push(encodeParameterStatus(name, value));
      this.reported.set(name, value);
    }
    return out;
  }

  changed(name: string, value: string): void {
    this.pending.set(name, value);
  }

  /** Messages for the settings that changed since the last ReadyForQuery. */
  beforeReadyForQuery(): Buffer[] {
    const out: Buffer[] = [];
    for (const [name, value] of this.pending) {
      if (this.reported.get(name) === value) continue;
      out.push(encodeParameterStatus(name, value));
      this.reported.set(name, value);
    }
    this.pending.clear();
    return out;
  }
}
