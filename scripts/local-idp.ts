/**
 * The local OpenID provider: a real one (`oidc-provider`, certified OpenID Connect server code)
 * that `npm start` runs on IDP_PORT (9010) as provider `local`, and the tests run on free ports.
 * Development only: nothing of it is bundled into a function (tests/unit/packaging.test.ts).
 *
 * It is a stand-in for a real provider's login page: an authorization request with
 * `login_hint=<email>` signs that address in at once (with `email_verified` as configured, true by
 * default), and grants the scopes asked for without a consent screen. Without a hint it shows a
 * one-field form asking for the address. Subjects are derived from the address, so the same
 * address is the same account across restarts.
 *
 * Test hooks (`testHooks: true` only): `POST /__test/id-token` with a JSON object of claims
 * (`{"nonce": "x"}`, `{"aud": "other"}`, `{"iss": "http://elsewhere"}`) makes the next ID tokens
 * carry those claims instead of the genuine ones, re-signed with the provider's own key, so the
 * relying party's checks of nonce, audience and issuer meet a token whose signature is valid.
 * `DELETE /__test/id-token` stops it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';

export interface LocalIdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface LocalIdpOptions {
  port: number;
  /** The issuer URL (default `http://localhost:<port>`). */
  issuer?: string;
  clients: LocalIdpClient[];
  /** What the provider asserts as `email_verified` (default true). */
  emailVerified?: boolean;
  /** Enables the `/__test/*` routes that tamper with ID tokens. Never in `npm start`. */
  testHooks?: boolean;
}

export interface LocalIdp {
  issuer: string;
  stop(): Promise<void>;
}

/** A stable subject for an address, so restarts keep accounts apart and the same. */
export const subjectOf = (email: string) => createHash('sha256').update(`local-idp\0${email}`).digest('base64url').slice(0, 22);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startLocalIdp(options: LocalIdpOptions): Promise<LocalIdp> {
  const issuer = options.issuer ?? `http://localhost:${options.port}`;
  const emailVerified = options.emailVerified ?? true;
  const emails = new Map<string, string>();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
  let tamper: Record<string, unknown> | undefined;

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [signingJwk] },
    // PKCE for every client, confidential ones included (as the relying party always sends it).
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    // Claims in the ID token itself, as Google and most providers send them (no userinfo round trip).
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('hex')] },
    findAccount: (_ctx, sub) => {
      const email = emails.get(sub);
      if (!email) return undefined;
      return { accountId: sub, claims: () => ({ sub, email, email_verified: emailVerified, name: email.split('@')[0] }) };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The development stand-in has no sessions worth keeping between flows.
    ttl: { Session: 60, Interaction: 600, Grant: 600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
  });
  // Test hook: the token endpoint's ID token re-signed with the claims asked for.
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: string } | undefined;
    if (tamper && ctx.path === '/token' && body && typeof body.id_token === 'string') {
      const claims = { ...decodeJwt(body.id_token), ...tamper };
      const header = decodeProtectedHeader(body.id_token);
      body.id_token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid, typ: header.typ }).sign(await importJWK(signingJwk, 'RS256'));
    }
  });
  const callback = provider.callback();

  async function signIn(req: IncomingMessage, res: ServerResponse, email: string): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const sub = subjectOf(email);
    emails.set(sub, email);
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
      return;
    }
    // Consent: grant what was asked for, as a user clicking "allow" would.
    const grant = details.grantId ? (await provider.Grant.find(details.grantId))! : new provider.Grant({ accountId: sub, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  async function interaction(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const session = details.session?.accountId ? emails.get(details.session.accountId) : undefined;
    let email = typeof details.params.login_hint === 'string' ? details.params.login_hint.trim().toLowerCase() : session;
    if (req.method === 'POST') email = new URLSearchParams(await readBody(req)).get('email')?.trim().toLowerCase();
    if (email && /^[^\s@]+@[^\s@]+$/.test(email)) return signIn(req, res, email);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Local provider</title><h1>Local OpenID provider</h1>
<p>Development stand-in for a real provider's sign-in page: any address signs in.</p>
<form method="post" action="${escapeHtml(url.pathname)}"><label>Email <input name="email" type="email" required></label> <button>Sign in</button></form>`);
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const fail = (err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`local provider error: ${(err as Error).message}`);
    };
    if (url.pathname.startsWith('/interaction/')) return void interaction(req, res, url).catch(fail);
    if (options.testHooks && url.pathname === '/__test/id-token') {
      if (req.method === 'DELETE') {
        tamper = undefined;
        res.writeHead(204).end();
        return;
      }
      return void readBody(req).then((body) => {
        tamper = JSON.parse(body) as Record<string, unknown>;
        res.writeHead(204).end();
      }).catch(fail);
    }
    return void callback(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    issuer,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
