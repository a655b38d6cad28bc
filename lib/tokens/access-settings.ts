import type { VerifierConfig } from '../config';
import type { AccessTokenSettings } from './access-token';

/** The access-token settings of a configuration: what signing and every verifier here use. */
export function accessSettings(config: VerifierConfig): AccessTokenSettings {
  return {
    issuer: config.issuer,
    audience: config.audience,
    alg: config.signingAlg,
    ttlSeconds: config.accessTokenTtlSeconds,
    clientId: config.clientId,
    clockSkewSeconds: config.clockSkewSeconds,
  };
}
