// The registered serving modes. The command line (one subcommand each), the configuration file
// (`mode:` of a listener), the backend factory and the metrics all go through this list.
import type { ModeDescriptor } from './descriptor.js';
import { dsqlMode } from '../dsql/mode.js';
import { dataApiMode } from '../dataapi/mode.js';
import { rdsIamMode } from '../rds-iam/mode.js';

export const MODES = [dsqlMode, rdsIamMode, dataApiMode] as const;

type Registered = (typeof MODES)[number];
type ObserverOf<D> = D extends ModeDescriptor<infer _M, infer O> ? O : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Everything any registered mode's backend may report; each listener's metrics implement it all. */
export type AllModeObservers = UnionToIntersection<ObserverOf<Registered>>;

export function findMode(name: string): Registered | undefined {
  return MODES.find((m) => m.name === name);
}

export function modeNames(): string[] {
  return MODES.map((m) => m.name);
}
