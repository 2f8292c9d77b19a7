// Compiles the native relay (native/pgrelay/*.c) into build/pgrelay.node. It needs a C compiler
// and the headers Node ships (node_api.h, uv.h, and OpenSSL's, which the addon uses from Node
// itself, so no libssl is linked). Without them the proxy still works, on its JavaScript relay:
// this script then says why and exits 0, unless APGP_REQUIRE_NATIVE=1 (CI) makes that a failure.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'native', 'pgrelay');
const output = join(root, 'build', 'pgrelay.node');
const required = process.env.APGP_REQUIRE_NATIVE === '1';

function give_up(why) {
  const message = `aurora-pg-proxy: native relay not built (${why}); the JavaScript relay will be used`;
  if (required) {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
  process.exit(0);
}

/** Node's own headers first (they match its OpenSSL); a distribution's copy otherwise. */
function headerDir() {
  const candidates = [
    process.env.APGP_NODE_HEADERS,
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((dir) => ['node_api.h', 'uv.h', join('openssl', 'ssl.h')].every((f) => existsSync(join(dir, f))));
}

const headers = headerDir();
if (!headers) give_up("Node's headers (node_api.h, uv.h, openssl/ssl.h) were not found; set APGP_NODE_HEADERS");
const sources = readdirSync(sourceDir)
  .filter((f) => f.endsWith('.c'))
  .map((f) => join(sourceDir, f));
mkdirSync(dirname(output), { recursive: true });
const cc = process.env.CC || 'cc';
const args = ['-std=gnu11', '-O2', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-Wextra', '-Wno-unused-parameter', '-I', headers, ...sources, '-o', output];
try {
  execFileSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
} catch (err) {
  give_up(`${cc} failed: ${err.message.split('\n')[0]}`);
}
console.log(`aurora-pg-proxy: native relay built (${output})`);
