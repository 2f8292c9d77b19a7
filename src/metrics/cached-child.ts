// Labelled metric children made once and reused: the observers run for every network chunk and
// round trip, and labels() hashes its arguments on every call.

export function cached<T>(map: Map<string, T>, key: string, make: () => T): T {
  let child = map.get(key);
  if (child === undefined) {
    child = make();
    map.set(key, child);
  }
  return child;
}
