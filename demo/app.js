/**
 * The demo account app, on the client package (served as /vendor/client.js) in cookie mode: the refresh
 * token stays in the API's HttpOnly cookie, the access token in the client's memory.
 *
 * Screens: signed out (sign in with a password, a passkey or the local provider; create an
 * account; reset a password), the second factor, the security page (account.js) and the
 * change-password screen. One screen shows at a time and focus moves to its heading.
 *
 * Loading the page: a provider's callback landing (`?code=`, `?linked=`, `?error=`) is read and
 * taken out of the address bar first, then the session is restored with exactly one refresh, and
 * only then is the page drawn, with what the landing said. Nothing else refreshes meanwhile.
 */
import { auth, cancelled, passkeys } from './auth.js';
import { createAccount } from './account.js';
import { $, announce, clearErrors, resetForms, showError, showScreen, whileBusy } from './ui.js';
import { createStepUp } from './step-up.js';

// For the browser tests and for poking around in the console.
window.demoAuth = auth;

let stepUp;
const account = createAccount({ stepUp: () => stepUp });
stepUp = createStepUp(account);

let signedIn = false;
let pendingMfa = null;

// ---- Screens ---------------------------------------------------------------------------------

async function showAccount({ registeredEmail } = {}) {
  signedIn = true;
  pendingMfa = null;
  resetForms($('signed-out'));
  resetForms($('second-factor'));
  $('logout').hidden = false;
  if (registeredEmail) account.showVerifyNotice(registeredEmail);
  showScreen('account');
  await account.load();
}

function showSignedOut(message) {
  signedIn = false;
  pendingMfa = null;
  account.clear();
  // Nothing typed stays on the page after a sign-out: not in the sign-in forms, not in the account's.
  resetForms(document);
  $('logout').hidden = true;
  showScreen('signed-out', { focus: message !== undefined });
  if (message !== undefined) announce(message);
}

auth.on('sessionend', ({ reason }) => {
  if (!signedIn) return;
  if (reason === 'logout') showSignedOut('You are signed out.');
  else if (reason === 'account_deleted') showSignedOut('Your account is deleted.');
  else showSignedOut('Your session ended. Sign in again.');
});

// ---- Second factor ---------------------------------------------------------------------------

async function secondFactor(result, form) {
  pendingMfa = result;
  const hasPasskey = result.factors.some((f) => f.type === 'passkey');
  const hasTotp = result.factors.some((f) => f.type === 'totp');
  // A passkey is tried at once (one tap); cancelled, the screen offers it again.
  if (hasPasskey && passkeys.supported()) {
    announce('Confirm with your passkey…');
    try {
      await passkeys.verifySecondFactor({ mfaToken: result.mfaToken });
      await showAccount();
      announce('You are signed in.');
      return;
    } catch (err) {
      if (!cancelled(err)) {
        showError(form, err, 'passkey');
        if (err?.code === 'invalid_mfa_token') return;
      }
    }
  }
  $('mfa-passkey-row').hidden = !hasPasskey;
  $('mfa-code-fields').hidden = !hasTotp;
  showScreen('second-factor');
  announce('Your password was right: one more step.');
  (hasTotp ? $('mfa-verify-form').elements.code : $('mfa-passkey')).focus();
}

$('mfa-verify-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target;
  const code = form.elements.code.value.trim();
  const recoveryCode = form.elements.recoveryCode.value.trim();
  if (!code && !recoveryCode) {
    showError(form, 'Enter the code your app shows, or one of your recovery codes.');
    return;
  }
  void whileBusy(form, async () => {
    clearErrors(form);
    try {
      await auth.verifySecondFactor(code ? { mfaToken: pendingMfa.mfaToken, code } : { mfaToken: pendingMfa.mfaToken, recoveryCode });
      await showAccount();
      announce('You are signed in.');
    } catch (err) {
      if (err?.code === 'invalid_mfa_token') {
        // The sign-in attempt is over (expired, used, too many wrong codes): the password again.
        showSignedOut();
        showScreen('signed-out');
        showError($('login-form'), err);
        return;
      }
      showError(form, err, 'second-factor');
    }
  });
});

$('mfa-passkey').addEventListener('click', () => {
  const form = $('mfa-verify-form');
  void whileBusy(form, async () => {
    clearErrors(form);
    try {
      await passkeys.verifySecondFactor({ mfaToken: pendingMfa.mfaToken });
      await showAccount();
      announce('You are signed in.');
    } catch (err) {
      showError(form, err, 'second-factor-passkey');
    }
  });
});

$('mfa-verify-cancel').addEventListener('click', () => {
  showSignedOut('Sign-in cancelled.');
});

// ---- Signed out: sign in, sign up, reset -----------------------------------------------------

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target;
  const input = { email: form.elements.email.value.trim(), password: form.elements.password.value };
  void whileBusy(form, async () => {
    clearErrors(form);
    try {
      const result = await auth.login(input);
      if (result.status === 'mfaRequired') await secondFactor(result, form);
      else {
        await showAccount();
        announce('You are signed in.');
      }
    } catch (err) {
      showError(form, err, 'sign-in');
    }
  });
});

$('register-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target;
  const name = form.elements.name.value.trim();
  const input = { email: form.elements.email.value.trim(), password: form.elements.password.value, ...(name ? { name } : {}) };
  void whileBusy(form, async () => {
    clearErrors(form);
    try {
      const user = await auth.register(input);
      await showAccount({ registeredEmail: user.email });
      announce('Your account is ready. Check your email to verify your address.');
    } catch (err) {
      showError(form, err);
    }
  });
});

$('forgot-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target;
  const email = form.elements.email.value.trim();
  void whileBusy(form, async () => {
    clearErrors(form);
    try {
      await auth.account.forgotPassword({ email });
      form.reset();
      announce(`If an account exists for ${email}, a reset link is on its way.`);
    } catch (err) {
      showError(form, err);
    }
  });
});

$('federated-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const hint = event.target.elements.email.value.trim();
  window.location.assign(auth.federation.authorizeUrl('local', { redirectUri: `${window.location.origin}/`, ...(hint ? { loginHint: hint } : {}) }));
});

$('passkey-login').addEventListener('click', () => {
  const form = $('login-form');
  void whileBusy(form, async () => {
    clearErrors(form);
    try {
      // Starting this ceremony cancels a waiting autofill one.
      await passkeys.signIn();
      await showAccount();
      announce('You are signed in.');
    } catch (err) {
      showError(form, err, 'passkey');
    }
  });
});

if (!passkeys.supported()) $('passkey-login').disabled = true;

/**
 * Conditional UI: the browser offers this site's passkeys in the email field's suggestions (its
 * `autocomplete` ends in `webauthn`). The ceremony waits in the background until one is picked, or
 * the button starts another ceremony, which aborts this one.
 */
async function offerAutofill() {
  if (!(await passkeys.autofillSupported())) return;
  try {
    await passkeys.signInWithAutofill();
    await showAccount();
    announce('You are signed in.');
  } catch (err) {
    if (!cancelled(err)) showError($('login-form'), err, 'passkey');
  }
}

$('logout').addEventListener('click', () => void auth.logout('local').catch(() => undefined));
$('logout-global').addEventListener('click', () => void auth.logout('global').catch((err) => showError($('sessions-section'), err)));

// ---- Loading the page ------------------------------------------------------------------------

/**
 * Reads a provider callback's landing and removes its parameters from the address bar (a one-time
 * code is no bookmark). A `?code=` is exchanged here: its answer is the session.
 */
async function landing() {
  const found = auth.federation.readLanding(window.location.href);
  if (found.status === 'none') return {};
  window.history.replaceState(null, '', window.location.pathname);
  if (found.status === 'error') return { error: PROVIDER_ERRORS[found.error] ?? 'The provider sign-in did not complete. Try again.' };
  if (found.status === 'linked') return { notice: `Linked your ${found.provider} identity: you can now sign in with it.` };
  try {
    const result = await auth.federation.exchangeCode(found.code);
    return result.status === 'mfaRequired' ? { mfa: result } : { signedIn: true, notice: 'You are signed in.' };
  } catch (err) {
    return { failure: err };
  }
}

/** The callback's `?error=` values, as sentences. */
const PROVIDER_ERRORS = {
  access_denied: 'The provider sign-in was cancelled.',
  account_exists: 'That address or provider account already belongs to another account here. Sign in to it instead.',
  provider_error: 'The provider sent an answer that failed a check. Try again.',
  service_unavailable: 'The service is busy. Try again in a moment.',
  unauthorized: 'Your session ended before the provider answered. Sign in and link it again.',
};

async function start() {
  $('api-url').textContent = window.DEMO_CONFIG.apiUrl;
  const landed = await landing();
  let restored = landed.signedIn === true;
  if (!restored && !landed.mfa) {
    try {
      restored = await auth.refresh();
    } catch {
      restored = false;
    }
  }
  if (restored) {
    await showAccount();
    announce(landed.notice ?? 'Signed in.');
    return true;
  }
  showSignedOut(landed.notice ?? 'Signed out.');
  if (landed.mfa) await secondFactor(landed.mfa, $('login-form'));
  else if (landed.error) showError($('login-form'), landed.error);
  else if (landed.failure) showError($('federated-form'), landed.failure, 'provider');
  void offerAutofill();
  return false;
}

/** Resolves once the page is drawn: true when it restored a session. */
window.demoApp = { ready: start() };
