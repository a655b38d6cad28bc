import { SessionCheck } from '../revocation/session-check';
import { SignedFetchSessionReader } from '../revocation/session-reader';
import type { VerifierConfig } from '../config';
import { verifierConfig } from './verifier-config';

let check: SessionCheck | undefined;

/** The authorizer's per-container session check, or undefined in the stateless setting. */
export function sessionCheck(config: VerifierConfig = verifierConfig()): SessionCheck | undefined {
  // Only a checking authorizer needs the sessions table (loadVerifierConfig requires it then).
  if (config.authorizerSessionCheck === 'off') return undefined;
  check ??= new SessionCheck(new SignedFetchSessionReader({
    table: config.sessionsTable,
    endpoint: config.dynamodbEndpoint,
    timeoutMs: config.authorizerSessionReadTimeoutMs,
  }), {
    liveCacheMs: config.authorizerLiveCacheSeconds * 1000,
    staleMs: config.authorizerStaleSeconds * 1000,
  });
  return check;
}
