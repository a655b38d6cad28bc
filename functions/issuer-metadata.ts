import { containerConfig } from '../lib/container/config';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';
import { issuerMetadata } from '../lib/issuer-metadata';

const config = containerConfig();
const body = issuerMetadata(config);

/**
 * GET /.well-known/openid-configuration and GET /.well-known/oauth-authorization-server → 200 the
 * issuer metadata. It changes only with the configuration, so it is built once and cacheable.
 */
export const handler = httpHandler({ config }, async () => json(200, body, { 'cache-control': 'public, max-age=3600' }));
