/**
 * Every handler that acts on where a request came from gets the source the container's
 * configuration trusts. With CLIENT_IP_HEADER set (a trusted proxy such as CloudFront writes the
 * viewer's address there), the per-source limits of each handler must count the viewer, not the
 * proxy's edge address that API Gateway sees: otherwise one client behind an edge silences, say,
 * reset emails for everyone on that edge.
 *
 * The real handler modules run here, with their use cases replaced by recorders: what is tested
 * is the handler's wiring (the request context it hands on), one test per handler.
 */
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const seen = vi.hoisted(() => ({ calls: [] as { useCase: string; args: unknown[] }[] }));

function recorder(useCase: string, answer: unknown) {
  return vi.fn(async (...args: unknown[]) => {
    seen.calls.push({ useCase, args });
    return answer;
  });
}

const TOKENS = { accessToken: 'a.b.c', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 };
const USER = { id: 'u', email: 'ada@example.com', name: null, roles: ['user'], emailVerified: false, createdAt: '2026-01-01T00:00:00.000Z' };

vi.mock('../../lib/usecases/login', () => ({ login: recorder('login', { user: USER, ...TOKENS }) }));
vi.mock('../../lib/usecases/register', () => ({ register: recorder('register', { user: USER, ...TOKENS }) }));
vi.mock('../../lib/usecases/refresh', () => ({ refresh: recorder('refresh', TOKENS) }));
vi.mock('../../lib/usecases/password', () => ({
  changePassword: recorder('changePassword', undefined),
  forgotPassword: recorder('forgotPassword', undefined),
  resetPassword: recorder('resetPassword', undefined),
}));
vi.mock('../../lib/usecases/mfa', () => ({
  verifySecondFactor: recorder('verifySecondFactor', { user: USER, ...TOKENS }),
  reauthenticate: recorder('reauthenticate', TOKENS),
}));
vi.mock('../../lib/usecases/account-deletion', () => ({ deleteAccount: recorder('deleteAccount', undefined) }));
vi.mock('../../lib/usecases/email-verification', () => ({
  verifyEmail: recorder('verifyEmail', USER),
  resendVerification: recorder('resendVerification', undefined),
}));

const VIEWER = '198.51.100.23';
const EDGE = '203.0.113.200';
const TOKEN = `${'A'.repeat(43)}`;
const REFRESH = `${'q'.repeat(22)}.${'r'.repeat(43)}`;

beforeAll(() => {
  Object.assign(process.env, {
    AUTH_MODE: 'local',
    CLIENT_IP_HEADER: 'cloudfront-viewer-address',
    SIGNING_KEYS_FILE: '/nonexistent/keys.json',
    LOG_LEVEL: 'silent',
  });
});

function event(path: string, body: unknown, options: { caller?: boolean } = {}) {
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'cloudfront-viewer-address': `${VIEWER}:46532`, 'user-agent': 'ua-test' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      http: { method: 'POST', path, sourceIp: EDGE, userAgent: 'ua-test', protocol: 'HTTP/1.1' },
      // A fresh aal2 authentication: the step-up routes (password change, account deletion) let it through.
      ...(options.caller
        ? { authorizer: { lambda: { userId: 'u', sessionId: 's', email: USER.email, emailVerified: 'false', roles: 'user', acr: 'aal2', amr: 'pwd,otp,mfa', authTime: String(Math.floor(Date.now() / 1000)) } } }
        : {}),
    },
  };
}

const CASES: { fn: string; useCase: string; path: string; body: unknown; caller?: boolean; status: number }[] = [
  { fn: 'login', useCase: 'login', path: '/auth/login', body: { email: 'ada@example.com', password: 'correct horse battery' }, status: 200 },
  { fn: 'register', useCase: 'register', path: '/auth/register', body: { email: 'ada@example.com', password: 'correct horse battery' }, status: 201 },
  { fn: 'refresh', useCase: 'refresh', path: '/auth/refresh', body: { refreshToken: REFRESH }, status: 200 },
  { fn: 'password-forgot', useCase: 'forgotPassword', path: '/auth/password/forgot', body: { email: 'ada@example.com' }, status: 202 },
  { fn: 'password-reset', useCase: 'resetPassword', path: '/auth/password/reset', body: { token: TOKEN, newPassword: 'a brand new passphrase' }, status: 204 },
  { fn: 'password-change', useCase: 'changePassword', path: '/auth/password/change', body: { currentPassword: 'correct horse battery', newPassword: 'a brand new passphrase' }, caller: true, status: 204 },
  { fn: 'account-delete', useCase: 'deleteAccount', path: '/auth/me', body: { password: 'correct horse battery' }, caller: true, status: 204 },
  { fn: 'mfa-verify', useCase: 'verifySecondFactor', path: '/auth/mfa/verify', body: { mfaToken: TOKEN, code: '123456' }, status: 200 },
  { fn: 'reauthenticate', useCase: 'reauthenticate', path: '/auth/reauthenticate', body: { password: 'correct horse battery' }, caller: true, status: 200 },
  { fn: 'verify-email', useCase: 'verifyEmail', path: '/auth/email/verify', body: { token: TOKEN }, status: 200 },
  { fn: 'resend-verification', useCase: 'resendVerification', path: '/auth/email/resend', body: undefined, caller: true, status: 202 },
];

describe('every handler hands its use case the source CLIENT_IP_HEADER names', () => {
  for (const c of CASES) {
    it(`${c.fn}: the viewer's address, not the edge's`, async () => {
      const { handler } = (await import(`../../functions/${c.fn}.ts`)) as { handler: (e: unknown, ctx: Context) => Promise<{ statusCode: number; body?: string }> };
      seen.calls.length = 0;
      const e = event(c.path, c.body, { caller: c.caller });
      if (c.body === undefined) {
        delete (e as { body?: string }).body;
        delete (e.headers as Record<string, string>)['content-type'];
      }
      const result = await handler(e, { awsRequestId: 'r' } as Context);
      expect(result.statusCode, result.body).toBe(c.status);
      const call = seen.calls.find((x) => x.useCase === c.useCase);
      expect(call, `${c.useCase} was not called`).toBeDefined();
      const meta = call!.args.find((a): a is { ip: unknown; userAgent: unknown } => typeof a === 'object' && a !== null && 'ip' in a && 'userAgent' in a);
      expect(meta, `${c.useCase} got no request metadata`).toEqual({ ip: VIEWER, userAgent: 'ua-test' });
    });
  }
});
