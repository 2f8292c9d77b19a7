import { SqlState } from './sqlstate.js';

/**
 * Raised for input that breaks the wire protocol. Carries the SQLSTATE the session should report
 * (08P01 unless the specific rule says otherwise, e.g. 28000 for a missing user name).
 *
 * Errors thrown by FrameReader mean the message boundaries are lost: the connection must close.
 * Errors thrown by the message decoders concern one complete frame: like PostgreSQL, the session
 * may answer with an ErrorResponse and carry on.
 */
export class ProtocolViolation extends Error {
  readonly sqlstate: string;

  constructor(message: string, sqlstate: string = SqlState.PROTOCOL_VIOLATION) {
    super(message);
    this.name = 'ProtocolViolation';
    this.sqlstate = sqlstate;
  }
}

/**
 * A startup-phase packet whose length is impossible. PostgreSQL reports it only in its own log
 * (COMMERROR) and closes the connection without a word to the client, which is also what a
 * client that sends Terminate before its startup packet (node-postgres ending at once) meets.
 */
export class InvalidStartupLength extends ProtocolViolation {
  constructor() {
    super('invalid length of startup packet');
  }
}
