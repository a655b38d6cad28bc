'use strict';
/**
 * A small browser client for the auth API in cookie mode.
 * - The refresh token is only ever in the HttpOnly cookie the API sets: this code never sees it.
 * - The access token lives in a variable, never in storage, so a reload restores the session
 *   with one refresh instead.
 * - One refresh in flight at a time: callers that need a token while a refresh runs wait for that
 *   refresh. Two parallel refreshes would present the same cookie twice; the second would only
 *   be saved by the grace window, and after it would look like token theft.
 * - A refresh runs a minute before the access token expires, and once after a 401/403 (not after
 *   a 401 `insufficient_user_authentication`: a refresh keeps the session's authentication time,
 *   so only reauthenticating helps; the caller asks the user, see demo/mfa.js).
 * - A sign-in answering `mfaRequired` carries no token: the caller completes it with `verifyMfa`.
 */
(function () {
  /** `refreshMarginSeconds`: how long before the access token expires to refresh (60). */
  function createAuthClient(apiUrl, options = {}) {
    const margin = options.refreshMarginSeconds ?? 60;
    let accessToken = null;
    let refreshInFlight = null;
    let timer = null;
    const listeners = new Set();
    const stats = { refreshRequests: 0 };

    function notify() {
      for (const listener of listeners) listener(accessToken !== null);
    }

    async function request(path, options = {}) {
      const headers = {};
      if (options.body !== undefined) headers['Content-Type'] = 'application/json';
      if (options.cookieMode) headers['X-Auth-Transport'] = 'cookie';
      if (options.bearer) headers.Authorization = `Bearer ${options.bearer}`;
      const response = await fetch(apiUrl + path, {
        method: options.method || 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: 'include',
      });
      const text = await response.text();
      let body = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = null;
      }
      return { status: response.status, ok: response.ok, body };
    }

    function accept(tokens) {
      accessToken = tokens.accessToken;
      clearTimeout(timer);
      const delay = Math.max(5, tokens.expiresIn - margin) * 1000;
      timer = setTimeout(() => void refresh(), delay);
      notify();
    }

    function forget() {
      accessToken = null;
      clearTimeout(timer);
      notify();
    }

    /** Rotates the cookie and gets a new access token; resolves true when signed in. */
    function refresh() {
      if (refreshInFlight) return refreshInFlight;
      refreshInFlight = (async () => {
        stats.refreshRequests += 1;
        const answer = await request('/auth/refresh', { method: 'POST', cookieMode: true });
        if (answer.ok) accept(answer.body);
        else forget();
        return answer.ok;
      })().finally(() => {
        refreshInFlight = null;
      });
      return refreshInFlight;
    }

    /** A request with the access token; refreshes once if it is missing or refused. */
    async function authed(path, options = {}) {
      if (refreshInFlight) await refreshInFlight;
      if (accessToken === null && !(await refresh())) return { status: 401, ok: false, body: null };
      let answer = await request(path, { ...options, bearer: accessToken });
      const stepUp = answer.body && answer.body.error && answer.body.error.code === 'insufficient_user_authentication';
      if ((answer.status === 401 || answer.status === 403) && !stepUp) {
        if (!(await refresh())) return answer;
        answer = await request(path, { ...options, bearer: accessToken });
      }
      return answer;
    }

    async function signIn(path, body) {
      const answer = await request(path, { method: 'POST', body, cookieMode: true });
      // A sign-in that asks for a second factor (`mfaRequired`) answers 200 without tokens.
      if (answer.ok && answer.body && answer.body.accessToken) accept(answer.body);
      return answer;
    }

    async function logout(scope = 'local') {
      const options = { method: 'POST', cookieMode: true, body: { scope } };
      const answer = scope === 'local' ? await request('/auth/logout', options) : await authed('/auth/logout', options);
      if (answer.ok && scope !== 'others') forget();
      return answer;
    }

    return {
      register: (email, password, name) => signIn('/auth/register', name ? { email, password, name } : { email, password }),
      login: (email, password) => signIn('/auth/login', { email, password }),
      /** The second step of a sign-in: `proof` is `{ code }` or `{ recoveryCode }`. */
      verifyMfa: (mfaToken, proof) => signIn('/auth/mfa/verify', { mfaToken, ...proof }),
      /**
       * Takes the access token of an answer for the current session (a factor confirmed, a
       * reauthentication). In cookie mode those answers put the session's new refresh token in
       * the cookie themselves, never in the body.
       */
      adopt: (tokens) => accept(tokens),
      /** Any other sign-in route that answers tokens (a passkey, a second factor), in cookie mode. */
      signInWith: signIn,
      /** Exchanges a federated sign-in's one-time code (the callback's `?code=`); an `mfaRequired` answer carries no token. */
      exchangeCode: async (code) => {
        const answer = await request('/auth/oauth/token', { method: 'POST', body: { code }, cookieMode: true });
        if (answer.ok && answer.body && answer.body.accessToken) accept(answer.body);
        return answer;
      },
      refresh,
      authed,
      logout,
      /** Unauthenticated JSON POST (email verification, password reset). */
      post: (path, body) => request(path, { method: 'POST', body }),
      signedIn: () => accessToken !== null,
      onChange: (listener) => listeners.add(listener),
      stats,
    };
  }

  window.createAuthClient = createAuthClient;
})();
