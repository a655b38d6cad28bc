'use strict';
/**
 * Passkeys on the demo page, with `@simplewebauthn/browser` (served as /vendor/simplewebauthn-browser.js,
 * global `SimpleWebAuthnBrowser`):
 * - "Sign in with a passkey" (a discoverable credential, no email typed), and the same offered in
 *   the login form's email field by the browser's autofill where it supports conditional UI;
 * - a password sign-in whose second factor is a passkey completes with it (`mfaRequired` →
 *   POST /auth/mfa/challenge → the ceremony → POST /auth/mfa/verify);
 * - signed in: the passkeys listed, one added with a name, one removed.
 * Loaded after app.js; it uses the auth client (window.demoAuth) and the page's helpers
 * (window.demoApp) and nothing else of the page's code.
 */
(function () {
  const auth = window.demoAuth;
  const app = window.demoApp;
  const webauthn = window.SimpleWebAuthnBrowser;
  const $ = (id) => document.getElementById(id);

  const supported = webauthn.browserSupportsWebAuthn();
  if (!supported) {
    $('passkey-login').disabled = true;
    $('passkey-add').disabled = true;
    $('passkeys-status').textContent = 'This browser does not support passkeys.';
  }

  /** A cancelled or refused ceremony in the browser: the user said no, or nothing matched. */
  const cancelled = (err) => err && (err.name === 'NotAllowedError' || err.name === 'AbortError');

  /** Completes a sign-in with the assertion of a discoverable-credential ceremony. */
  async function signInWith(optionsJSON, useBrowserAutofill) {
    const response = await webauthn.startAuthentication({ optionsJSON, useBrowserAutofill });
    return auth.signInWith('/auth/passkeys/login/verify', { response });
  }

  async function loginOptions() {
    const answer = await auth.post('/auth/passkeys/login/options', {});
    if (!answer.ok) throw new Error(`Passkey sign-in unavailable: ${app.describe(answer)}`);
    return answer.body;
  }

  async function finish(answer, what) {
    app.showError(answer.ok ? '' : `${what} failed: ${app.describe(answer)}`);
    if (answer.ok) await app.showSignedIn();
  }

  // Conditional UI: the browser offers the site's passkeys in the email field's autofill (the
  // field's `autocomplete` ends in `webauthn`). The ceremony waits in the background until the
  // user picks one (or the button starts another ceremony, which aborts it).
  async function offerAutofill() {
    if (!supported || !(await webauthn.browserSupportsWebAuthnAutofill())) return;
    try {
      await finish(await signInWith(await loginOptions(), true), 'Passkey sign-in');
    } catch (err) {
      if (!cancelled(err)) app.showError(String(err.message || err));
    }
  }

  $('passkey-login').addEventListener('click', async () => {
    try {
      await finish(await signInWith(await loginOptions(), false), 'Passkey sign-in');
    } catch (err) {
      app.showError(cancelled(err) ? 'Passkey sign-in cancelled.' : String(err.message || err));
    }
  });

  // The second step of a password sign-in, when the user has a passkey: the login answer's
  // `mfaRequired` is completed here; any other answer (or a cancelled ceremony) goes back as it was.
  const passwordLogin = auth.login;
  auth.login = async (email, password) => {
    const answer = await passwordLogin(email, password);
    const body = answer.body || {};
    if (!answer.ok || !body.mfaRequired || !body.factors.some((f) => f.type === 'passkey')) return answer;
    $('status').textContent = 'Confirm with your passkey…';
    const challenge = await auth.post('/auth/mfa/challenge', { mfaToken: body.mfaToken });
    if (!challenge.ok) return challenge;
    try {
      const passkey = await webauthn.startAuthentication({ optionsJSON: challenge.body });
      return await auth.signInWith('/auth/mfa/verify', { mfaToken: body.mfaToken, passkey });
    } catch (err) {
      if (!cancelled(err)) throw err;
      return answer;
    }
  };

  // Several loads may overlap (a sign-in, a refresh, a change): only the latest one draws the list.
  let latestLoad = 0;
  async function loadPasskeys() {
    const list = $('passkeys');
    const load = ++latestLoad;
    const answer = await auth.authed('/auth/mfa/factors');
    if (load !== latestLoad) return;
    list.replaceChildren();
    if (!answer.ok) return;
    for (const factor of answer.body.factors.filter((f) => f.type === 'passkey')) {
      const item = document.createElement('li');
      item.dataset.factorId = factor.id;
      item.textContent = `${factor.name} · added ${factor.createdAt} · last used ${factor.lastUsedAt || 'never'} `;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'remove-passkey';
      remove.textContent = 'Remove';
      remove.addEventListener('click', async () => {
        const result = await auth.authed(`/auth/mfa/factors/${encodeURIComponent(factor.id)}`, { method: 'DELETE' });
        app.showError(result.ok ? '' : `Removing the passkey failed: ${app.describe(result)}`);
        await loadPasskeys();
      });
      item.append(remove);
      list.append(item);
    }
  }

  $('passkey-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = new FormData(event.target).get('name') || undefined;
    const options = await auth.authed('/auth/passkeys/register/options', { method: 'POST', body: {} });
    if (!options.ok) {
      app.showError(`Adding a passkey failed: ${app.describe(options)}${options.status === 401 ? ' (sign in again first)' : ''}`);
      return;
    }
    try {
      const response = await webauthn.startRegistration({ optionsJSON: options.body });
      const answer = await auth.authed('/auth/passkeys/register/verify', { method: 'POST', body: { response, name } });
      app.showError(answer.ok ? '' : `Adding a passkey failed: ${app.describe(answer)}`);
      if (answer.ok) {
        event.target.reset();
        $('passkeys-status').textContent = `Passkey "${answer.body.factor.name}" added.`;
      }
    } catch (err) {
      app.showError(cancelled(err) ? 'Adding a passkey was cancelled.' : String(err.message || err));
    }
    await loadPasskeys();
  });

  auth.onChange((signedIn) => {
    if (signedIn) void loadPasskeys();
  });
  // Autofill is offered once the page has found itself signed out when it loads (not again after a
  // sign-out on the page: a reload, or the button, starts the next one).
  void app.restored.then((signedIn) => (signedIn ? loadPasskeys() : offerAutofill()));
})();
