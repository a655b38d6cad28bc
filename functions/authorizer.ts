import type { Context } from 'aws-lambda';
import { authorize, type AuthorizerEvent } from '../lib/authorizer';
import { systemClock } from '../lib/clock';
import { publicKeyStore } from '../lib/container/public-keys';
import { sessionCheck } from '../lib/container/session-check';
import { verifierConfig } from '../lib/container/verifier-config';
import { requestIdOf, withRequestId } from '../lib/log';
import { accessSettings } from '../lib/tokens/access-settings';

const config = verifierConfig();
const deps = {
  keys: publicKeyStore(config),
  settings: accessSettings(config),
  clock: systemClock,
  sessions: sessionCheck(config),
  requireVerifiedEmail: config.requireVerifiedEmail,
  requireMfa: config.requireMfa,
  aal2Routes: config.authorizerAal2Routes,
};

/**
 * Lambda authorizer for HTTP APIs (simple responses) and REST APIs (TOKEN / REQUEST). Its log
 * lines carry the request id of the request it decides on (a REST TOKEN event has none: Lambda's).
 */
export const handler = (event: AuthorizerEvent, context?: Context) =>
  withRequestId(requestIdOf(event as { requestContext?: { requestId?: string } }, context), () => authorize(deps, event));
