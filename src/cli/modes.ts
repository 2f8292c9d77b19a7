// The serving modes as the command line and the configuration file see them: each registered
// mode (src/modes/registry.ts) contributes a subcommand and the function that turns its flags into
// a listener, so a key in the file means what the flag means.
export { MODES, findMode, modeNames } from '../modes/registry.js';
export type { ModeDescriptor as ServingMode } from '../modes/descriptor.js';
