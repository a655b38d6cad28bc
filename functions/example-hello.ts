import { containerConfig } from '../lib/container/config';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';

const config = containerConfig();

/**
 * GET /example/hello: stands for "another API" behind the authorizer. It trusts only the context
 * the authorizer put on the request and does no token work of its own.
 */
export const handler = httpHandler({ config, caller: 'required' }, async ({ caller }) =>
  json(200, { message: `Hello, ${caller.email || caller.userId}!`, userId: caller.userId, sessionId: caller.sessionId }),
);
