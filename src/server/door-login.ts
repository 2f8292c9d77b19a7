// What the native front door may answer at once: a first packet that is exactly a complete
// StartupMessage of protocol 3.0 with a user and nothing the usual startup path must judge
// (protocol options to negotiate, a replication request), possibly followed by more messages.
// Anything else (SSLRequest, CancelRequest, a packet split across reads, a malformed one) is
// null and goes the usual way, which answers it as it always does.
import { decodeStartupPacket } from '../protocol/frontend-decoder.js';
import { PROTOCOL_3_0 } from '../protocol/messages.js';

export interface DoorStartup {
  parameters: Record<string, string>;
  /** Bytes after the StartupMessage. */
  pending: Buffer;
}

export function plainStartup(first: Buffer): DoorStartup | null {
  if (first.length < 8) return null;
  const length = first.readUInt32BE(0);
  if (length < 8 || length > first.length) return null;
  let packet;
  try {
    packet = decodeStartupPacket(first.subarray(4, length));
  } catch {
    return null;
  }
  if (packet.kind !== 'StartupMessage' || packet.protocolVersion !== PROTOCOL_3_0 || packet.protocolOptions.length > 0) return null;
  const parameters = packet.parameters;
  if (!parameters.user || parameters.replication !== undefined) return null;
  return { parameters, pending: first.subarray(length) };
}
