import { containerConfig } from '../lib/container/config';
import { publicKeyStore } from '../lib/container/public-keys';
import { JWKS_MAX_AGE_SECONDS } from '../lib/keys/rotation-policy';
import { httpHandler } from '../lib/http/middleware';
import { json } from '../lib/http/responses';

const config = containerConfig(['verificationKeys']);
const keys = publicKeyStore(config);

/** GET /.well-known/jwks.json → 200 { keys: [...] }, cacheable: public keys change only on rotation. */
export const handler = httpHandler({ config }, async () =>
  json(200, { keys: await keys.publicJwks() }, { 'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` }),
);
