// Preloaded into the proxy by bench/data-api-memory.ts (NODE_OPTIONS="--require .../memory-hook.cjs"),
// never by the product. On SIGUSR2 it runs a full garbage collection, prints the process's memory
// use as one JSON line tagged "memory-hook" (the bench reads it from the proxy's output), and,
// with MEMORY_HEAPSNAPSHOT_DIR set, writes a heap snapshot there for comparing in DevTools.
// What survives a full collection is what the proxy still holds: a leak shows there first.
const v8 = require('node:v8');
const vm = require('node:vm');
const path = require('node:path');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
let count = 0;
process.on('SIGUSR2', () => {
  gc();
  const m = process.memoryUsage();
  const dir = process.env.MEMORY_HEAPSNAPSHOT_DIR;
  const snapshot = dir ? v8.writeHeapSnapshot(path.join(dir, `proxy-${process.pid}-${++count}.heapsnapshot`)) : undefined;
  const kib = (n) => Math.round(n / 1024);
  process.stderr.write(
    JSON.stringify({ msg: 'memory-hook', rssKiB: kib(m.rss), heapUsedKiB: kib(m.heapUsed), heapTotalKiB: kib(m.heapTotal), externalKiB: kib(m.external), arrayBuffersKiB: kib(m.arrayBuffers), snapshot }) + '\n',
  );
});
