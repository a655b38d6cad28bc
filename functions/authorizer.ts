import { authorize, type AuthorizerEvent } from '../lib/authorizer';
import { systemClock } from '../lib/clock';
import { containerConfig } from '../lib/container/config';
import { publicKeyStore } from '../lib/container/public-keys';
import { sessionCheck } from '../lib/container/session-check';

const config = containerConfig();
const deps = {
  keys: publicKeyStore(),
  settings: { issuer: config.issuer, audience: config.audience, alg: config.signingAlg, ttlSeconds: config.accessTokenTtlSeconds },
  clock: systemClock,
  sessions: sessionCheck(),
  requireVerifiedEmail: config.requireVerifiedEmail,
};

/** Lambda authorizer for HTTP APIs (simple responses) and REST APIs (TOKEN / REQUEST). */
export const handler = (event: AuthorizerEvent) => authorize(deps, event);
