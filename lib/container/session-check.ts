import { SessionCheck } from '../revocation/session-check';
import { SignedFetchSessionReader } from '../revocation/session-reader';
import { containerConfig } from './config';

let check: SessionCheck | undefined;

/** The authorizer's per-container session check, or undefined in the stateless setting. */
export function sessionCheck(): SessionCheck | undefined {
  if (containerConfig().authorizerSessionCheck === 'off') return undefined;
  // Only a checking authorizer needs the sessions table.
  const config = containerConfig(['sessionsTable']);
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
