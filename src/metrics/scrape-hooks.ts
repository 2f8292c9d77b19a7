// What must be brought up to date before a scrape reads the registry: the native door reports
// the logins it answered a moment after answering them (door.c), and a scrape in between would
// see a hit not yet counted.
const hooks = new Set<() => void>();

/** Runs `hook` before every scrape until the returned function is called. */
export function beforeScrape(hook: () => void): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

export function runScrapeHooks(): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // A failing hook must not break the scrape.
    }
  }
}
