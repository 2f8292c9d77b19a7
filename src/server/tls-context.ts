// The certificate this proxy shows to clients that send SSLRequest. Users give their own
// certificate and key; without them a self-signed one is generated at start so that clients
// with sslmode=require (which encrypts but does not verify) connect out of the box.
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { generate } from 'selfsigned';

export interface ClientTlsSettings {
  certFile?: string;
  keyFile?: string;
}

export interface ServerTls {
  context: SecureContext;
  /** 'configured' or 'self-signed', for the start-up log line. */
  origin: 'configured' | 'self-signed';
  certPem: string;
  /** The key, for a TLS stack other than Node's (the native relay's). */
  keyPem: string;
}

export async function loadServerTls(settings: ClientTlsSettings, hostnames: string[]): Promise<ServerTls> {
  if (settings.certFile || settings.keyFile) {
    if (!settings.certFile || !settings.keyFile) {
      throw new Error('client TLS needs both a certificate and a key (--tls-cert and --tls-key)');
    }
    const [cert, key] = await Promise.all([
      readFile(settings.certFile, 'utf8').catch((e) => fail('certificate', settings.certFile!, e)),
      readFile(settings.keyFile, 'utf8').catch((e) => fail('key', settings.keyFile!, e)),
    ]);
    try {
      return { context: createSecureContext({ cert, key }), origin: 'configured', certPem: cert, keyPem: key };
    } catch (e) {
      throw new Error(`cannot use TLS certificate ${settings.certFile} with key ${settings.keyFile}: ${(e as Error).message}`);
    }
  }
  const names = [...new Set(['localhost', ...hostnames])];
  const altNames = names.map((n) => (isIp(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }));
  const generated = await generate([{ name: 'commonName', value: 'aurora-pg-proxy' }], {
    keyType: 'ec',
    curve: 'P-256',
    // The package signs with SHA-1 unless told otherwise, which strict clients refuse.
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...altNames, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  return {
    context: createSecureContext({ cert: generated.cert, key: generated.private }),
    origin: 'self-signed',
    certPem: generated.cert,
    keyPem: generated.private,
  };
}

function isIp(name: string): boolean {
  return /^[\d.]+$/.test(name) || name.includes(':');
}

function fail(what: string, file: string, e: unknown): never {
  throw new Error(`cannot read TLS ${what} ${file}: ${(e as Error).message}`);
}
