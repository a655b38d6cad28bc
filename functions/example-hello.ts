import { unauthorized } from '../lib/errors';
import { httpHandler } from '../lib/http/middleware';
import { authorizerContext } from '../lib/http/request';
import { json } from '../lib/http/responses';

/**
 * GET /example/hello: stands for "another API" behind the authorizer. It trusts only the context
 * the authorizer put on the request and does no token work of its own.
 */
export const handler = httpHandler({ body: 'none' }, async (event) => {
  const caller = authorizerContext(event);
  if (!caller) throw unauthorized();
  return json(200, { message: `Hello, ${caller.email || caller.userId}!`, userId: caller.userId, sessionId: caller.sessionId });
});
