// The addon's stopIdleTimeMetrics(): Node's loop measures its idle time, which makes libuv call
// epoll twice before every wait; the relay turns that off (addon.c says why). Run in a child
// process so that this runner's own loop keeps its settings. What shows the switch is Node's own
// reading of it: performance.eventLoopUtilization() counts idle time before, and none after.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { nativeRelay } from '../../../src/iam-relay/native/addon.js';

const run = promisify(execFile);
const ADDON_PATH = fileURLToPath(new URL('../../../build/pgrelay.node', import.meta.url));

const PROBE = `
const { performance } = require('node:perf_hooks');
const addon = require(process.argv[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const a = performance.eventLoopUtilization();
  await sleep(150);
  const before = performance.eventLoopUtilization(a).idle;
  const first = addon.stopIdleTimeMetrics();
  const second = addon.stopIdleTimeMetrics();
  const c = performance.eventLoopUtilization();
  await sleep(150);
  const after = performance.eventLoopUtilization(c).idle;
  console.log(JSON.stringify({ before, first, second, after }));
})();
`;

describe.skipIf(nativeRelay() === null)('native relay: the loop waits with one epoll call', () => {
  it('turns off the idle-time measuring once, and Node sees no idle time afterwards', async () => {
    const { stdout } = await run(process.execPath, ['-e', PROBE, ADDON_PATH]);
    const r = JSON.parse(stdout) as { before: number; first: boolean; second: boolean; after: number };
    expect(r.before).toBeGreaterThan(50); // ms of the 150 ms sleep counted as idle
    expect(r.first).toBe(true);
    expect(r.second).toBe(false); // already off
    expect(r.after).toBeLessThan(5);
  });
});
