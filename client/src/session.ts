import { AuthError } from './errors.js';
import { send, type ApiRequest, type Transport } from './http.js';

/** Why a session ended: a sign-out, a refresh the API refused (expired, revoked, reused), or the account deleted. */
export type SessionEndReason = 'logout' | 'refresh_failed' | 'account_deleted';

export interface SessionEvents {
  /** A session began: a sign-in, or a refresh that restored one (a page reload in cookie mode). */
  sessionstart: { via: 'sign-in' | 'refresh' };
  /** The session is over; `error` is the refused refresh's, when that is why. */
  sessionend: { reason: SessionEndReason; error?: AuthError };
}
export type Listener<E extends keyof SessionEvents> = (event: SessionEvents[E]) => void;

/** A token answer of the API (login, register, mfa verify, refresh, reauthenticate, TOTP confirm). */
export interface TokenAnswer {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
}

export interface SessionOptions {
  /** Seconds before the access token expires to refresh it (default 60; at most half its life). */
  refreshMarginSeconds?: number;
  /** Refresh on a timer ahead of expiry (default true); otherwise only when a call needs a token. */
  autoRefresh?: boolean;
  /** Body mode: a refresh token saved by the app, to resume its session. */
  refreshToken?: string;
}

/**
 * The signed-in state: the access token, in memory only (never storage: a page reload restores
 * the session with one refresh instead), and its renewal.
 *
 * One refresh at a time: every caller that needs a token while a refresh runs waits for that same
 * refresh. Two parallel refreshes would present the same refresh token twice; the second is only
 * forgiven inside the API's grace window, and after it reads as a stolen token and ends the session.
 */
export class Session {
  private accessToken: string | null = null;
  private refreshAt = 0;
  private refreshToken: string | null;
  private inFlight: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped when the session ends, so an answer to a request sent before cannot revive it. */
  private epoch = 0;
  private active = false;
  private readonly listeners: { [E in keyof SessionEvents]: Set<Listener<E>> } = { sessionstart: new Set(), sessionend: new Set() };
  private readonly margin: number;
  private readonly autoRefresh: boolean;

  constructor(
    private readonly transport: Transport,
    options: SessionOptions = {},
  ) {
    this.margin = options.refreshMarginSeconds ?? 60;
    this.autoRefresh = options.autoRefresh ?? true;
    this.refreshToken = options.refreshToken ?? null;
  }

  /** True while the client holds an access token. */
  get signedIn(): boolean {
    return this.accessToken !== null;
  }

  /** Body mode: the current refresh token, for an app that keeps sessions across restarts. */
  get currentRefreshToken(): string | null {
    return this.refreshToken;
  }

  on<E extends keyof SessionEvents>(type: E, listener: Listener<E>): () => void {
    this.listeners[type].add(listener);
    return () => this.listeners[type].delete(listener);
  }

  private emit<E extends keyof SessionEvents>(type: E, event: SessionEvents[E]): void {
    for (const listener of this.listeners[type]) listener(event);
  }

  /** Takes the tokens of an answer; `via` names what started the session when none was active. */
  accept(tokens: TokenAnswer, via: SessionEvents['sessionstart']['via'] = 'sign-in'): void {
    this.accessToken = tokens.accessToken;
    // Cookie mode never keeps a refresh token, even one an answer carries in its body.
    if (!this.transport.cookieMode && tokens.refreshToken) this.refreshToken = tokens.refreshToken;
    const lifetime = tokens.expiresIn * 1000;
    this.refreshAt = Date.now() + Math.max(lifetime - this.margin * 1000, lifetime / 2);
    clearTimeout(this.timer);
    if (this.autoRefresh) {
      this.timer = setTimeout(() => void this.refresh().catch(() => undefined), this.refreshAt - Date.now());
      // In Node, a pending refresh must not keep the process alive.
      (this.timer as { unref?: () => void }).unref?.();
    }
    if (!this.active) {
      this.active = true;
      this.emit('sessionstart', { via });
    }
  }

  /** Forgets every token; announces the end when a session was active. */
  end(reason: SessionEndReason, error?: AuthError): void {
    this.epoch += 1;
    this.accessToken = null;
    this.refreshToken = null;
    clearTimeout(this.timer);
    if (this.active) {
      this.active = false;
      this.emit('sessionend', error ? { reason, error } : { reason });
    }
  }

  /** Stops the refresh timer (the session stays usable on demand). */
  close(): void {
    clearTimeout(this.timer);
  }

  /**
   * Rotates the refresh token (the cookie, in cookie mode) for a new access token. Resolves true
   * when signed in, false when the API refused (the session is then over); throws when the API
   * could not answer (the session may well be alive). Concurrent calls share one request.
   */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.rotate().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async rotate(): Promise<boolean> {
    if (!this.transport.cookieMode && !this.refreshToken) return false;
    const epoch = this.epoch;
    try {
      const body = this.transport.cookieMode ? undefined : { refreshToken: this.refreshToken };
      const tokens = await send<TokenAnswer>(this.transport, { method: 'POST', path: '/auth/refresh', body, tokenRoute: true });
      if (epoch !== this.epoch) return false;
      this.accept(tokens, 'refresh');
      return true;
    } catch (err) {
      if (!(err instanceof AuthError) || err.status === 0 || err.status >= 500) throw err;
      if (epoch === this.epoch) this.end('refresh_failed', err);
      return false;
    }
  }

  /** A usable access token: the current one, or a new one when it is missing or about to expire. */
  async token(): Promise<string> {
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    if (this.accessToken === null || Date.now() >= this.refreshAt) {
      if (!(await this.refresh())) throw new AuthError('not_signed_in', 'Sign in first.', { status: 401 });
    }
    return this.accessToken!;
  }

  /**
   * A request with the access token. When the gateway refuses the token (expired early, or its
   * session revoked), one refresh tells which: a new token is tried once, a refused refresh ends
   * the session.
   */
  async authed<T>(request: ApiRequest): Promise<T> {
    const token = await this.token();
    try {
      return await send<T>(this.transport, { ...request, bearer: token });
    } catch (err) {
      if (!(err instanceof AuthError) || err.code !== 'forbidden') throw err;
      if (this.accessToken === token && !(await this.refresh())) throw err;
      return send<T>(this.transport, { ...request, bearer: await this.token() });
    }
  }
}
