/**
 * Per-operation latency through the real handlers (imported from functions/, in process) against
 * DynamoDB Local, with the number of DynamoDB requests each operation makes, counted by a
 * middleware on the very document client the handlers share.
 */
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { median, percentile, round } from './stats';

export interface OperationResult {
  operation: string;
  n: number;
  p50Ms: number;
  p99Ms: number;
  dynamoRequestsPerOp: number;
  designMinimum: string;
  bcryptMs?: number;
  /** Read and write units per operation, from ReturnConsumedCapacity (transactions counted at 2x, as billed). */
  readUnitsPerOp: number;
  writeUnitsPerOp: number;
}

// Document-client and low-level names: the middleware may see either.
const READS = new Set(['GetCommand', 'QueryCommand', 'BatchGetCommand', 'TransactGetCommand', 'ScanCommand', 'GetItemCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand']);
const TRANSACTIONS = new Set(['TransactWriteCommand', 'TransactGetCommand', 'TransactWriteItemsCommand', 'TransactGetItemsCommand']);

type Capacity = { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
const unitsOf = (c: Capacity): number => (Array.isArray(c) ? c.reduce((sum, x) => sum + (x.CapacityUnits ?? 0), 0) : c?.CapacityUnits ?? 0);

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body?: string }>;

function event(method: string, route: string, body?: unknown, extra: Record<string, unknown> = {}) {
  return {
    version: '2.0',
    routeKey: `${method} ${route}`,
    rawPath: route,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'user-agent': 'bench' },
    requestContext: {
      http: { method, path: route, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: `${method} ${route}`,
      stage: '$default',
      ...extra,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 10_000 };

export async function benchOperations(options: { bcryptCost: number; samples?: { slow: number; fast: number }; federation?: { issuer: string } }): Promise<OperationResult[]> {
  const slow = options.samples?.slow ?? 25;
  const fast = options.samples?.fast ?? 150;
  // Imported only now: the environment (endpoint, key file) is set by the caller first.
  const { documentClient } = await import('../lib/container/data');
  const counts = { n: 0, read: 0, write: 0 };
  documentClient().middlewareStack.add((next, context) => async (args) => {
    counts.n += 1;
    // Ask every request what it consumed (INDEXES: the table and its index writes together).
    (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'INDEXES';
    const out = await next(args);
    const name = context.commandName ?? '';
    // DynamoDB Local reports 1 unit per transaction item; DynamoDB bills transactional items at 2.
    const units = unitsOf((out.output as { ConsumedCapacity?: Capacity }).ConsumedCapacity) * (TRANSACTIONS.has(name) ? 2 : 1);
    if (READS.has(name)) counts.read += units;
    else counts.write += units;
    return out;
  }, { step: 'initialize', name: 'benchCountRequests' });
  const { sessionCheck } = await import('../lib/container/session-check');

  /** The handler of one function of the manifest (functions/<name>.ts), imported in-process. */
  const handlerOf = async <T = Handler>(name: string) => (await import(`../functions/${name}`)).handler as unknown as T;
  const handlers = {
    register: await handlerOf('register'),
    login: await handlerOf('login'),
    refresh: await handlerOf('refresh'),
    oauthToken: await handlerOf('oauth2-token'),
    logout: await handlerOf('logout'),
    me: await handlerOf('me'),
    sessionsList: await handlerOf('sessions-list'),
    sessionDelete: await handlerOf('session-delete'),
    authorizer: await handlerOf<(e: unknown) => Promise<{ isAuthorized: boolean }>>('authorizer'),
    verifyEmail: await handlerOf('verify-email'),
    resend: await handlerOf('resend-verification'),
    forgot: await handlerOf('password-forgot'),
    reset: await handlerOf('password-reset'),
    change: await handlerOf('password-change'),
    deleteMe: await handlerOf('account-delete'),
    mfaVerify: await handlerOf('mfa-verify'),
    passkeyLoginOptions: await handlerOf('passkeys-login-options'),
    passkeyLoginVerify: await handlerOf('passkeys-login-verify'),
    oauthAuthorize: await handlerOf('oauth-authorize'),
    oauthCallback: await handlerOf('oauth-callback'),
    federatedToken: await handlerOf('oauth-token'),
  };
  const { accountDeps } = await import('../lib/container/account');
  const { issueToken } = await import('../lib/usecases/email-links');
  /** A token of `kind` made current for the user, written directly (setup, not measured). */
  const tokenFor = async (kind: 'verify' | 'reset', userId: string) => {
    const deps = accountDeps();
    const user = await deps.users.findById(userId);
    const { token, items } = issueToken(deps, kind, userId, new Date(), kind === 'verify' ? user?.verifyTokenHash : user?.resetTokenHash);
    await deps.transactions.write(items.map((item) => ({ label: 'token', item })));
    return token.value;
  };

  async function measure(name: string, n: number, make: (i: number) => Promise<() => Promise<void>>, designMinimum: string): Promise<OperationResult> {
    const times: number[] = [];
    let requests = 0;
    let read = 0;
    let write = 0;
    const check = sessionCheck();
    for (let i = 0; i < n; i += 1) {
      const run = await make(i);
      const before = { ...counts };
      // The authorizer's session reads go through a signed fetch, not the SDK: counted from its stats.
      const checkBefore = check ? { ...check.stats } : undefined;
      const start = process.hrtime.bigint();
      await run();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      requests += counts.n - before.n;
      read += counts.read - before.read;
      write += counts.write - before.write;
      if (check && checkBefore) {
        const eventual = check.stats.reads - checkBefore.reads;
        const strong = check.stats.consistentReads - checkBefore.consistentReads;
        requests += eventual + strong;
        read += eventual * 0.5 + strong; // measured in bench/revocation.ts: 0.5 per session GetItem
      }
    }
    return {
      operation: name, n, p50Ms: round(median(times), 2), p99Ms: round(percentile(times, 99), 2),
      dynamoRequestsPerOp: round(requests / n, 2), designMinimum,
      readUnitsPerOp: round(read / n, 3), writeUnitsPerOp: round(write / n, 3),
    };
  }

  const expect = (status: number, answer: { statusCode: number; body?: string }, what: string) => {
    if (answer.statusCode !== status) throw new Error(`${what} answered ${answer.statusCode}: ${answer.body}`);
    return answer.body ? JSON.parse(answer.body) : undefined;
  };
  const password = 'correct horse battery';
  const users: { email: string; deviceToken: string }[] = [];
  const tokens: { accessToken: string; refreshToken: string; sid: string; userId: string; email: string }[] = [];

  const results: OperationResult[] = [];
  results.push(
    await measure('register', slow, async () => {
      const email = `bench-${randomUUID()}@example.com`;
      return async () => {
        const registered = expect(201, await handlers.register(event('POST', '/auth/register', { email, password }), context), 'register');
        users.push({ email, deviceToken: registered.deviceToken });
      };
    }, '3 (one transaction: user, email claim, verification token, session, refresh token; the address send log read + conditional write) + 1 per-IP counter; + 1 SES send'),
  );
  results.push(
    await measure('login', slow, async (i) => {
      // A returning client: it presents the device token its registration got, as browsers do
      // with the device cookie (a new device adds a device record and the notice's 2 requests).
      const { email, deviceToken } = users[i % users.length]!;
      return async () => {
        const body = expect(200, await handlers.login(event('POST', '/auth/login', { email, password, deviceToken }), context), 'login');
        const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString());
        tokens.push({ accessToken: body.accessToken, refreshToken: body.refreshToken, sid: claims.sid, userId: body.user.id, email });
      };
    }, '3 (one batch: email claim, throttle counters, device record; the user read; one transaction: session, refresh token, the user item\'s sign-in update checking epoch and hash) + 2 reservations before bcrypt and 2 give-backs after (each pair side by side) + 1 per-IP counter beside the batch: 7 round trips'),
  );
  // Second factors: fresh users with a confirmed TOTP factor (enrolled through the use cases,
  // not measured). Each signs in once; the second step uses the code of the step after the one
  // the confirmation used, inside the ±1 window.
  const { serviceDeps } = await import('../lib/container/service');
  const { confirmTotp, enrolTotp } = await import('../lib/usecases/mfa');
  const { totpCode, totpStep } = await import('../lib/mfa/totp');
  const { Secret } = await import('otpauth');
  const mfaUsers: { email: string; deviceToken: string; secret: Buffer; step: number; mfaToken?: string }[] = [];
  for (let i = 0; i < slow; i += 1) {
    const email = `bench-mfa-${randomUUID()}@example.com`;
    const registered = expect(201, await handlers.register(event('POST', '/auth/register', { email, password }), context), 'register');
    const claims = JSON.parse(Buffer.from(registered.accessToken.split('.')[1], 'base64url').toString());
    const caller = { userId: claims.sub, sessionId: claims.sid };
    const enrolment = await enrolTotp(serviceDeps(), caller);
    const secret = Buffer.from(Secret.fromBase32(enrolment.secret).bytes);
    const step = totpStep(new Date());
    await confirmTotp(accountDeps(), caller, { factorId: enrolment.factor.id, code: totpCode(secret, step) });
    mfaUsers.push({ email, deviceToken: registered.deviceToken, secret, step });
  }
  results.push(
    await measure('login (user with a second factor)', slow, async (i) => {
      const user = mfaUsers[i]!;
      return async () => {
        const body = expect(200, await handlers.login(event('POST', '/auth/login', { email: user.email, password, deviceToken: user.deviceToken }), context), 'login (mfa)');
        if (!body.mfaRequired) throw new Error('the login of a user with a factor answered tokens');
        user.mfaToken = body.mfaToken;
      };
    }, '4 (failure counters + email claim in one batch; user + factors in one batch; the mfaToken write) + 1 per-IP counter; no session'),
  );
  results.push(
    await measure('mfa verify (TOTP)', slow, async (i) => {
      const user = mfaUsers[i]!;
      const code = totpCode(user.secret, user.step + 1);
      return async () => void expect(200, await handlers.mfaVerify(event('POST', '/auth/mfa/verify', { mfaToken: user.mfaToken, code }), context), 'mfa verify');
    }, '3 (mfaToken attempt reserved; user + factors in one batch; one transaction: session, refresh token, user check, code step, mfaToken consumed) + 5 for the per-account throttle (read, two reservations, two give-backs)'),
  );
  // Passkeys: fresh users, each with a passkey of a software authenticator (the test suite's,
  // registered through the use cases, not measured); each signs in once with it, at the origin and
  // RP id of the local configuration (APP_URL and CORS_ALLOWED_ORIGINS defaults).
  const { passkeyRegistrationOptions } = await import('../lib/usecases/passkey-options');
  const { registerPasskey } = await import('../lib/usecases/passkeys');
  const { SoftAuthenticator } = await import('../tests/helpers/soft-authenticator');
  const origin = serviceDeps().config.allowedOrigins.find((o) => new URL(o).hostname === new URL(serviceDeps().config.appUrl).hostname)!;
  const passkeyUsers: { authenticator: InstanceType<typeof SoftAuthenticator>; options?: { challenge: string; rpId: string } }[] = [];
  for (let i = 0; i < slow; i += 1) {
    const registered = expect(201, await handlers.register(event('POST', '/auth/register', { email: `bench-passkey-${randomUUID()}@example.com`, password }), context), 'register');
    const claims = JSON.parse(Buffer.from(registered.accessToken.split('.')[1], 'base64url').toString());
    const caller = { userId: claims.sub, sessionId: claims.sid };
    const authenticator = new SoftAuthenticator(origin);
    const { response } = authenticator.create(await passkeyRegistrationOptions(serviceDeps(), caller));
    await registerPasskey(accountDeps(), caller, { response, name: undefined }, { ip: undefined, userAgent: undefined });
    passkeyUsers.push({ authenticator });
  }
  results.push(
    await measure('passkey login options', slow, async (i) => async () => {
      passkeyUsers[i]!.options = expect(200, await handlers.passkeyLoginOptions(event('POST', '/auth/passkeys/login/options', {}), context), 'passkey login options');
    }, '1 (the challenge put) + 1 per-IP counter'),
  );
  results.push(
    await measure('passkey login verify', slow, async (i) => {
      const user = passkeyUsers[i]!;
      const response = user.authenticator.get(user.options!);
      return async () => void expect(200, await handlers.passkeyLoginVerify(event('POST', '/auth/passkeys/login/verify', { response }), context), 'passkey login verify');
    }, '3 in 2 round trips (the challenge consumed beside one batch: credential lookup, user, factors; one transaction: session, refresh token, user check, counter written, login event, device record) + 2 here, where each sign-in comes from a device not seen before: the new-device notice\'s mailbox counter (read, conditional put)'),
  );
  // Refresh chains: each token is refreshed once, its successor replaces it.
  results.push(
    await measure('refresh', fast, async (i) => {
      const slot = tokens[i % tokens.length]!;
      return async () => {
        const body = expect(200, await handlers.refresh(event('POST', '/auth/refresh', { refreshToken: slot.refreshToken }), context), 'refresh');
        slot.refreshToken = body.refreshToken;
        slot.accessToken = body.accessToken;
      };
    }, '2 (token read; one rotation transaction, which also checks the user still exists, is enabled and holds the claims signed) + 2 only after the user changed'),
  );
  // The same rotation as OAuth clients ask for it: a form body, RFC 6749's answer.
  results.push(
    await measure('oauth token (refresh grant)', fast, async (i) => {
      const slot = tokens[i % tokens.length]!;
      return async () => {
        const e = event('POST', '/oauth2/token');
        e.headers['content-type'] = 'application/x-www-form-urlencoded';
        (e as { body?: string }).body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: slot.refreshToken, client_id: 'lambda-jwt-auth' }).toString();
        const body = expect(200, await handlers.oauthToken(e, context), 'oauth token');
        slot.refreshToken = body.refresh_token;
        slot.accessToken = body.access_token;
      };
    }, '2, as refresh (the same use case)'),
  );
  results.push(
    await measure('me', fast, async (i) => {
      const slot = tokens[i % tokens.length]!;
      const e = event('GET', '/auth/me', undefined, {
        authorizer: { lambda: { userId: slot.userId, sessionId: slot.sid, email: slot.email, roles: 'user' } },
      });
      return async () => void expect(200, await handlers.me(e, context), 'me');
    }, '1 (user read)'),
  );
  const authorize = (slot: { accessToken: string }) => {
    const e = { version: '2.0', type: 'REQUEST', headers: { authorization: `Bearer ${slot.accessToken}` }, routeArn: 'arn:aws:execute-api:us-east-1:1:a/$default/GET/x' };
    return async () => {
      if (!(await handlers.authorizer(e)).isAuthorized) throw new Error('authorizer denied');
    };
  };
  // Each session's state is read once, then served from the container cache (3 s).
  results.push(await measure('authorizer (session check, warm)', fast, async (i) => authorize(tokens[i % tokens.length]!), '0 while the session state is cached; 1 GetItem (0.5 read unit) per session and 3 s'));
  // Every call is the first for its session in this container (the state was just dropped).
  results.push(
    await measure('authorizer (session check, cold state)', fast, async (i) => {
      sessionCheck()?.clear();
      return authorize(tokens[i % tokens.length]!);
    }, '1 GetItem, eventually consistent (0.5 read unit)'),
  );
  const withAuthorizer = (slot: { userId: string; sid: string; email: string }) => ({
    authorizer: { lambda: { userId: slot.userId, sessionId: slot.sid, email: slot.email, roles: 'user' } },
  });
  // Account lifecycle. Each row works on fresh accounts from one registration + login apiece.
  const accountsFor = async (n: number) => {
    const made: { email: string; userId: string; accessToken: string; sid: string }[] = [];
    for (let i = 0; i < n; i += 1) {
      const email = `bench-acct-${randomUUID()}@example.com`;
      const body = expect(201, await handlers.register(event('POST', '/auth/register', { email, password }), context), 'register');
      const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString());
      made.push({ email, userId: body.user.id, accessToken: body.accessToken, sid: claims.sid });
    }
    return made;
  };
  const asCaller = (a: { userId: string; sid: string; email: string }) => ({
    // A token from a sign-in moments ago, as the step-up routes (password change, deletion) need.
    authorizer: { lambda: { userId: a.userId, sessionId: a.sid, email: a.email, emailVerified: 'false', roles: 'user', acr: 'aal1', amr: 'pwd', authTime: String(Math.floor(Date.now() / 1000)) } },
  });
  const accounts = await accountsFor(slow * 3);
  results.push(
    await measure('verify email', slow, async (i) => {
      const a = accounts[i]!;
      const token = await tokenFor('verify', a.userId);
      return async () => void expect(200, await handlers.verifyEmail(event('POST', '/auth/email/verify', { token }), context), 'verify');
    }, '3 (token item, user, one transaction consuming the token and marking the user)'),
  );
  results.push(
    await measure('resend verification', slow, async (i) => {
      const a = accounts[slow + i]!;
      return async () => void expect(202, await handlers.resend(event('POST', '/auth/email/resend', undefined, asCaller(a)), context), 'resend');
    }, '4 (user, per-address send log read + conditional write, one transaction) + 1 per-IP counter; + 1 SES send'),
  );
  results.push(
    await measure('forgot password (account exists)', slow, async (i) => {
      const a = accounts[i]!;
      return async () => void expect(202, await handlers.forgot(event('POST', '/auth/password/forgot', { email: a.email }), context), 'forgot');
    }, '5 (email claim, user, send log read + write, one transaction) + 1 per-IP counter; + 1 SES send'),
  );
  results.push(
    await measure('forgot password (no account)', slow, async () => {
      const email = `bench-none-${randomUUID()}@example.com`;
      return async () => void expect(202, await handlers.forgot(event('POST', '/auth/password/forgot', { email }), context), 'forgot');
    }, '4, the same reads as above (claim, absent user, send log read + write) + 1 per-IP counter'),
  );
  results.push(
    await measure('password reset', slow, async (i) => {
      const a = accounts[i]!;
      const token = await tokenFor('reset', a.userId);
      return async () => void expect(204, await handlers.reset(event('POST', '/auth/password/reset', { token, newPassword: 'another good password' }), context), 'reset');
    }, '5 (token item, user, the user again strongly consistent with the sessions it names, sessions index for older sessions, one transaction: token, hash and epoch, every session)'),
  );
  results.push(
    await measure('password change', slow, async (i) => {
      const a = accounts[slow + i]!;
      const body = { currentPassword: password, newPassword: 'another good password' };
      return async () => void expect(204, await handlers.change(event('POST', '/auth/password/change', body, asCaller(a)), context), 'change');
    }, '6 (step-up factor check for an aal1 token, user, failure counter, the user again strongly consistent with the sessions it names, sessions index for older sessions, one transaction: hash and epoch + other sessions)'),
  );
  results.push(
    await measure('delete account', slow, async (i) => {
      const a = accounts[2 * slow + i]!;
      return async () => void expect(204, await handlers.deleteMe(event('DELETE', '/auth/me', { password }, asCaller(a)), context), 'delete');
    }, '6 (step-up factor check for an aal1 token, user, failure counter, the user again strongly consistent with the sessions it names, sessions index for older sessions, one transaction: user, claim, links, factors, sessions)'),
  );
  results.push(
    await measure('sessions list', fast, async (i) => {
      const slot = tokens[i % tokens.length]!;
      const e = event('GET', '/auth/sessions', undefined, withAuthorizer(slot));
      return async () => void expect(200, await handlers.sessionsList(e, context), 'sessions list');
    }, '2 (index query, one BatchGetItem of the listed sessions)'),
  );
  // Half of the sessions end through DELETE /auth/sessions/{id}, the other half through logout.
  const deleted = Math.floor(tokens.length / 2);
  results.push(
    await measure('session delete', deleted, async (i) => {
      const slot = tokens[i]!;
      const e = { ...event('DELETE', `/auth/sessions/${slot.sid}`, undefined, withAuthorizer(slot)), pathParameters: { id: slot.sid } };
      return async () => void expect(204, await handlers.sessionDelete(e, context), 'session delete');
    }, '1 (one conditional update: only the caller\'s active session)'),
  );
  results.push(
    await measure('logout (local)', Math.min(fast, tokens.length - deleted), async (i) => {
      const slot = tokens[deleted + i]!;
      return async () => void expect(204, await handlers.logout(event('POST', '/auth/logout', { refreshToken: slot.refreshToken }), context), 'logout');
    }, '2 (token read, session revoke)'),
  );

  // Federated sign-in against the local OpenID provider the caller started (provider `local`).
  // Setup, not measured: our authorize step and the provider's leg (its automatic sign-in for
  // login_hint), stopped where the provider sends the browser to our callback. Measured: the
  // callback (which includes its code exchange with the provider and the ID token's validation)
  // and our one-time code's exchange.
  if (options.federation) {
    const issuer = options.federation.issuer;
    const providerLeg = async (email: string): Promise<{ query: string; cookie: string }> => {
      const started = await handlers.oauthAuthorize({ ...event('GET', '/auth/oauth/local/authorize'), pathParameters: { provider: 'local' }, queryStringParameters: { redirect_uri: 'http://localhost:5173/', login_hint: email } }, context) as { statusCode: number; headers?: Record<string, string>; cookies?: string[] };
      if (started.statusCode !== 302) throw new Error(`authorize answered ${started.statusCode}`);
      const cookie = started.cookies!.find((c) => c.startsWith('__Host-oauth_flow='))!.split(';')[0]!;
      const jar = new Map<string, string>();
      let url = new URL(started.headers!.location!);
      for (let hops = 0; hops < 10; hops += 1) {
        if (url.href.startsWith(`${issuer}/auth/oauth/local/callback`)) return { query: url.search.slice(1), cookie };
        const answer = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar.values()].join('; ') } });
        for (const c of answer.headers.getSetCookie()) jar.set(c.split('=')[0]!, c.split(';')[0]!);
        const location = answer.headers.get('location');
        if (!location) throw new Error(`the provider stopped at ${url.href}: ${answer.status}`);
        url = new URL(location, url);
      }
      throw new Error('too many redirects at the provider');
    };
    const callback = (leg: { query: string; cookie: string }) => async () => {
      const answer = await handlers.oauthCallback({ ...event('GET', '/auth/oauth/local/callback'), rawQueryString: leg.query, pathParameters: { provider: 'local' }, cookies: [leg.cookie] }, context) as { statusCode: number; headers?: Record<string, string> };
      const code = answer.statusCode === 302 ? new URL(answer.headers!.location!).searchParams.get('code') : null;
      if (!code) throw new Error(`callback answered ${answer.statusCode} ${answer.headers?.location ?? ''}`);
      return code;
    };
    const fedEmails = Array.from({ length: slow }, () => `bench-fed-${randomUUID()}@example.com`);
    // One sign-in first, so discovery and the provider's keys are cached as in a warm container.
    const warmLeg = await providerLeg(`bench-fed-warm-${randomUUID()}@example.com`);
    await callback(warmLeg)();
    results.push(
      await measure('federated callback (new account)', slow, async (i) => {
        const leg = await providerLeg(fedEmails[i]!);
        return async () => void (await callback(leg)());
      }, '5 (flow consumed by a returning delete, identity claim read, email claim read, one transaction: user, email claim, identity claim, event; the code written) + the provider\'s token endpoint'),
    );
    const codes: string[] = [];
    results.push(
      await measure('federated callback (returning user)', slow, async (i) => {
        const leg = await providerLeg(fedEmails[i]!);
        return async () => void codes.push(await callback(leg)());
      }, '4 (flow consumed, identity claim read, user read, the code written) + the provider\'s token endpoint'),
    );
    results.push(
      await measure('federated token exchange', slow, async (i) => {
        const code = codes[i]!;
        return async () => void expect(200, await handlers.federatedToken(event('POST', '/auth/oauth/token', { code }), context), 'federated token exchange');
      }, '3 (code consumed by a returning delete, user + factors in one batch, one transaction: session, refresh token, the user\'s sign-in update, device record) + 2 here, where each sign-in comes from a device not seen before: the new-device notice\'s mailbox counter (read, conditional put)'),
    );
  }

  // bcrypt alone at the configured cost, for the "login ≤ bcrypt + 10 ms" comparison.
  const hash = await bcrypt.hash(password, options.bcryptCost);
  const bcryptTimes: number[] = [];
  for (let i = 0; i < 15; i += 1) {
    const start = process.hrtime.bigint();
    await bcrypt.compare(password, hash);
    bcryptTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const bcryptMs = round(median(bcryptTimes), 2);
  for (const r of results) if (r.operation === 'login' || r.operation === 'register') r.bcryptMs = bcryptMs;
  return results;
}
