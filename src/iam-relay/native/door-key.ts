// The key under which the native door matches a client's StartupMessage to a parked warm
// connection: every parameter name and value, ordered by the bytes of the name, each followed by
// a zero byte. door.c builds the same bytes from the client's packet, so a client whose startup
// JavaScript would read as the same parameters finds the same connection; one whose bytes are
// not valid UTF-8 finds none, and goes the usual way.
export function doorKey(parameters: Readonly<Record<string, string>>): Buffer {
  const pairs = Object.entries(parameters).map(([name, value]) => [Buffer.from(name, 'utf8'), Buffer.from(value, 'utf8')] as const);
  pairs.sort(([a], [b]) => Buffer.compare(a, b));
  const zero = Buffer.alloc(1);
  return Buffer.concat(pairs.flatMap(([name, value]) => [name, zero, value, zero]));
}
