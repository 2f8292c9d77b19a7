// Preloaded into the proxy by the relay benchmark (NODE_OPTIONS="--require .../cpu-profile-preload.cjs",
// since --cpu-prof itself is not allowed in NODE_OPTIONS): profiles the whole process and writes a
// .cpuprofile (open in Chrome DevTools) into $RELAY_BENCH_PROFILE_DIR when the process exits.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.RELAY_BENCH_PROFILE_DIR || '.';
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 200 });
session.post('Profiler.start');
process.on('exit', () => {
  // The main-thread inspector session answers synchronously, so this works in an exit handler.
  session.post('Profiler.stop', (err, result) => {
    if (err) return;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `proxy-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
