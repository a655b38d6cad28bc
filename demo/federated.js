'use strict';
/**
 * Federated sign-in on the demo page, in cookie mode, with the local provider `npm start` runs:
 * 1. "Continue with the local provider" sends the browser to the API's authorize endpoint, which
 *    redirects to the provider and, after the provider's sign-in, back to this page with `?code=`.
 * 2. This page exchanges the one-time code at `POST /auth/oauth/token` with
 *    `X-Auth-Transport: cookie` (the refresh token lands in the HttpOnly cookie, as for a login),
 *    and takes the code out of the address bar and the history at once.
 * Signed in, "Link the local provider" and "Unlink" change the account's identities (both need a
 * recent sign-in: step-up). The callback comes back with `?linked=<provider>` or `?error=<code>`.
 */
(function () {
  const PROVIDER = 'local';
  const $ = (id) => document.getElementById(id);
  const home = () => `${window.location.origin}/`;

  /** Removes the callback's parameters from the address bar (a one-time code is no bookmark). */
  function cleanAddress() {
    window.history.replaceState(null, '', window.location.pathname);
  }

  function describe(answer) {
    const error = answer.body && answer.body.error;
    return error ? `${error.message} (${error.code})` : `HTTP ${answer.status}`;
  }

  /**
   * Called by app.js before it tries the refresh cookie: finishes a callback's landing. Resolves
   * true when this page just signed in with a code.
   */
  async function federatedLanding(auth, ui) {
    const params = new URLSearchParams(window.location.search);
    const code = params.get('code');
    const error = params.get('error');
    const linked = params.get('linked');
    if (!code && !error && !linked) return false;
    cleanAddress();
    if (error) {
      ui.showError(`The provider sign-in did not complete (${error}).`);
      return false;
    }
    if (linked) {
      ui.setStatus(`Linked your ${linked} identity.`);
      return false;
    }
    const answer = await auth.exchangeCode(code);
    if (answer.ok && answer.body && answer.body.mfaRequired) {
      ui.showError('This account has a second factor: sign in with your password and code instead.');
      return false;
    }
    if (!answer.ok) {
      ui.showError(`Sign-in with the provider failed: ${describe(answer)}`);
      return false;
    }
    return true;
  }

  $('federated-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const url = new URL(`${window.DEMO_CONFIG.apiUrl}/auth/oauth/${PROVIDER}/authorize`);
    url.searchParams.set('redirect_uri', home());
    const hint = new FormData(event.target).get('email');
    if (hint) url.searchParams.set('login_hint', String(hint));
    window.location.assign(url.href);
  });

  /** Wires the signed-in buttons; `ui` is the page's (app.js). */
  function wireSettings(auth, ui) {
    $('link-provider').addEventListener('click', async () => {
      const answer = await auth.authed(`/auth/oauth/${PROVIDER}/link`, { method: 'POST', body: { redirectUri: home() } });
      if (!answer.ok) return ui.showError(`Link failed: ${describe(answer)}`);
      window.location.assign(answer.body.authorizationUrl);
    });
    $('unlink-provider').addEventListener('click', async () => {
      const answer = await auth.authed(`/auth/identities/${PROVIDER}`, { method: 'DELETE' });
      ui.showError(answer.ok ? '' : `Unlink failed: ${describe(answer)}`);
      if (answer.ok) await ui.reload();
    });
  }

  window.demoFederated = { federatedLanding, wireSettings };
})();
