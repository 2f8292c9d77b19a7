// The protocol codec's public surface.
export * from './messages.js';
export * from './sqlstate.js';
export * from './errors.js';
export * from './reader.js';
export * from './writer.js';
export * from './framer.js';
export * from './frontend-decoder.js';
export * from './frontend-encoder.js';
export * from './backend-encoder.js';
export * from './backend-decoder.js';
export * from './client-error.js';
