// Loaded with `node --import ./bench/cpu-profile-hook.mjs`: records a CPU profile of the whole
// process and writes it to $CPU_PROFILE_OUT (a .cpuprofile for Chrome DevTools) when it exits.
// --cpu-prof itself is not allowed in NODE_OPTIONS, which is how the bench reaches the proxy.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(process.env.CPU_PROFILE_OUT ?? `proxy-${process.pid}.cpuprofile`, JSON.stringify(res.profile));
  });
});
