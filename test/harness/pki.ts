// A throwaway certificate authority and a server certificate it signed, for TLS tests that
// must verify certificates the way a real client verifies DSQL's (CA chain + hostname). Built
// with the openssl CLI because it is offline, quick with EC keys, and already on the machine.
//
// "Bad certificate" tests: pass `{ selfSignedOnly: true }`. The server certificate is then
// self-signed (no CA signed it) while `caCertPem`/`caPath` still name a fresh CA, so a client
// that trusts `caPath` refuses the server ("self-signed certificate"). Two separate
// createTestPki() calls also give two unrelated CAs, for "trusted the wrong CA" tests, and
// passing other hostnames gives a name-mismatch certificate.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const OPENSSL = process.env.OPENSSL_BIN ?? '/usr/bin/openssl';
const VALID_DAYS = '2';

export interface TestPki {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** Temporary folder holding the files below; removed by cleanup(). */
  dir: string;
  caPath: string;
  certPath: string;
  /** Written with mode 0600. */
  keyPath: string;
  cleanup(): void;
}

export interface TestPkiOptions {
  /** Self-sign the server certificate instead of having the CA sign it (an untrusted server). */
  selfSignedOnly?: boolean;
}

export async function createTestPki(hostnames: string[], options: TestPkiOptions = {}): Promise<TestPki> {
  if (hostnames.length === 0) throw new Error('createTestPki needs at least one hostname or IP');
  const dir = mkdtempSync(join(tmpdir(), 'apgp-pki-'));
  try {
    const caKey = join(dir, 'ca.key');
    const caPath = join(dir, 'ca.crt');
    const keyPath = join(dir, 'server.key');
    const csrPath = join(dir, 'server.csr');
    const certPath = join(dir, 'server.crt');
    const extPath = join(dir, 'server.ext');
    const commonName = hostnames[0].slice(0, 64);

    writeFileSync(
      extPath,
      [
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature, keyEncipherment',
        'extendedKeyUsage = serverAuth',
        `subjectAltName = ${subjectAltName(hostnames)}`,
        'subjectKeyIdentifier = hash',
        '',
      ].join('\n'),
    );

    const makeCa = openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', caKey, '-out', caPath, '-days', VALID_DAYS, '-subj', '/CN=aurora-pg-proxy test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const makeServerRequest = openssl([
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', csrPath, '-subj', `/CN=${commonName}`,
    ]);
    await Promise.all([makeCa, makeServerRequest]);

    const signer = options.selfSignedOnly ? ['-signkey', keyPath] : ['-CA', caPath, '-CAkey', caKey, '-CAcreateserial'];
    await openssl([
      'x509', '-req', '-in', csrPath, ...signer, '-out', certPath, '-days', VALID_DAYS, '-sha256', '-extfile', extPath,
    ]);

    chmodSync(keyPath, 0o600);
    chmodSync(caKey, 0o600);
    return {
      caCertPem: readFileSync(caPath, 'utf8'),
      serverCertPem: readFileSync(certPath, 'utf8'),
      serverKeyPem: readFileSync(keyPath, 'utf8'),
      dir,
      caPath,
      certPath,
      keyPath,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function subjectAltName(hostnames: string[]): string {
  return hostnames.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(', ');
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync(OPENSSL, args, { timeout: 10_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || String(err)}`);
  }
}
