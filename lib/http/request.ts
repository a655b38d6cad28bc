import type { Caller } from '../caller';
import type { RequestMeta } from '../usecases/deps';
import { clientIp } from './client-ip';
import type { HttpEvent } from './event';

/**
 * Source IP (see client-ip.ts: what API Gateway measured, or the header of a trusted proxy named
 * by CLIENT_IP_HEADER; never client-supplied forwarding headers) and user agent. The settings are
 * required: the HTTP middleware calls this once per request with the container's configuration,
 * so no handler can leave the trusted header out.
 */
export function requestMeta(event: HttpEvent, settings: { clientIpHeader: string | undefined }): RequestMeta {
  const http = event.requestContext?.http as { userAgent?: string } | undefined;
  const rest = (event.requestContext as { identity?: { userAgent?: string | null } } | undefined)?.identity;
  return {
    ip: clientIp(event, settings.clientIpHeader),
    userAgent: http?.userAgent || rest?.userAgent || event.headers?.['user-agent'] || undefined,
  };
}

/** The caller our authorizer put on the request (HTTP API, payload 2.0), if any. */
export function callerOf(event: HttpEvent): Caller | undefined {
  const ctx = (event.requestContext as { authorizer?: { lambda?: Record<string, unknown> } } | undefined)?.authorizer?.lambda;
  if (!ctx || typeof ctx.userId !== 'string' || typeof ctx.sessionId !== 'string') return undefined;
  return {
    userId: ctx.userId,
    sessionId: ctx.sessionId,
    email: typeof ctx.email === 'string' ? ctx.email : '',
    emailVerified: ctx.emailVerified === 'true' || ctx.emailVerified === true,
    roles: typeof ctx.roles === 'string' ? ctx.roles : '',
    acr: typeof ctx.acr === 'string' && ctx.acr ? ctx.acr : 'aal1',
    amr: typeof ctx.amr === 'string' ? ctx.amr : '',
    authTime: Number.isSafeInteger(Number(ctx.authTime)) ? Number(ctx.authTime) : 0,
  };
}
