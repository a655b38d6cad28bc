import type { RequestMeta } from '../usecases/deps';
import type { HttpEvent } from './middleware';

/** Source IP and user agent as API Gateway saw them (not client-supplied forwarding headers). */
export function requestMeta(event: HttpEvent): RequestMeta {
  const http = event.requestContext?.http;
  return {
    ip: http?.sourceIp || undefined,
    userAgent: http?.userAgent || event.headers?.['user-agent'] || undefined,
  };
}

/** The flat context our authorizer hands to protected routes (HTTP API, payload 2.0). */
export interface AuthorizerContext {
  userId: string;
  sessionId: string;
  email: string;
  emailVerified: boolean;
  roles: string;
}

export function authorizerContext(event: HttpEvent): AuthorizerContext | undefined {
  const ctx = (event.requestContext as { authorizer?: { lambda?: Record<string, unknown> } } | undefined)?.authorizer?.lambda;
  if (!ctx || typeof ctx.userId !== 'string' || typeof ctx.sessionId !== 'string') return undefined;
  return {
    userId: ctx.userId,
    sessionId: ctx.sessionId,
    email: typeof ctx.email === 'string' ? ctx.email : '',
    emailVerified: ctx.emailVerified === 'true' || ctx.emailVerified === true,
    roles: typeof ctx.roles === 'string' ? ctx.roles : '',
  };
}
