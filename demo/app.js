'use strict';
/**
 * The demo page: wires the auth client to the forms and lists. Features in files of their own
 * (demo/mfa.js) use `window.demoApp` and listen for `demo:signed-in`, `demo:signed-out` and
 * `demo:mfa-required` on the document.
 */
const auth = window.createAuthClient(window.DEMO_CONFIG.apiUrl, { refreshMarginSeconds: window.DEMO_CONFIG.refreshMarginSeconds });
// Exposed for the browser tests and for poking around in the console.
window.demoAuth = auth;

const $ = (id) => document.getElementById(id);

function showError(message) {
  $('error').textContent = message || '';
  $('error').hidden = !message;
}

function describe(answer) {
  const error = answer.body && answer.body.error;
  return error ? `${error.message} (${error.code})` : `HTTP ${answer.status}`;
}

async function loadMe() {
  const answer = await auth.authed('/auth/me');
  if (answer.ok) {
    $('me').textContent = JSON.stringify(answer.body, null, 2);
    $('status').textContent = `Signed in as ${answer.body.email}`;
  }
  return answer;
}

async function loadSessions() {
  const answer = await auth.authed('/auth/sessions');
  const list = $('sessions');
  list.replaceChildren();
  if (!answer.ok) {
    const item = document.createElement('li');
    item.textContent = `Sessions unavailable: ${describe(answer)}`;
    list.append(item);
    return;
  }
  for (const session of answer.body.sessions) {
    const item = document.createElement('li');
    item.dataset.sessionId = session.id;
    if (session.current) item.className = 'current';
    item.textContent = `${session.current ? 'This device' : 'Other device'} · ${session.userAgent || 'unknown agent'} · ${session.ip || 'unknown IP'} · since ${session.createdAt} · last used ${session.lastUsedAt} `;
    if (!session.current) {
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.className = 'revoke';
      revoke.textContent = 'Revoke';
      revoke.addEventListener('click', async () => {
        const result = await auth.authed(`/auth/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
        showError(result.ok ? '' : `Revoke failed: ${describe(result)}`);
        await loadSessions();
      });
      item.append(revoke);
    }
    list.append(item);
  }
}

async function showSignedIn() {
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  await loadMe();
  await loadSessions();
  document.dispatchEvent(new CustomEvent('demo:signed-in'));
}

function showSignedOut(message) {
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  $('me').textContent = '';
  $('sessions').replaceChildren();
  $('status').textContent = message || 'Signed out';
  document.dispatchEvent(new CustomEvent('demo:signed-out'));
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

$('register-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { email, password, name } = formValues(event.target);
  const answer = await auth.register(email, password, name);
  showError(answer.ok ? '' : `Registration failed: ${describe(answer)}`);
  if (answer.ok) await showSignedIn();
});

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { email, password } = formValues(event.target);
  const answer = await auth.login(email, password);
  showError(answer.ok ? '' : `Login failed: ${describe(answer)}`);
  // A user with a second factor: no token yet; demo/mfa.js asks for the code.
  if (answer.ok && answer.body.mfaRequired) document.dispatchEvent(new CustomEvent('demo:mfa-required', { detail: answer.body }));
  else if (answer.ok) await showSignedIn();
});

$('forgot-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const answer = await auth.post('/auth/password/forgot', { email: formValues(event.target).email });
  showError(answer.ok ? '' : `Request failed: ${describe(answer)}`);
  if (answer.ok) $('status').textContent = 'If that account exists, a reset link is on its way.';
});

$('refresh-me').addEventListener('click', () => void loadMe().then(loadSessions));

$('resend-verification').addEventListener('click', async () => {
  const answer = await auth.authed('/auth/email/resend', { method: 'POST' });
  showError(answer.ok ? '' : `Resend failed: ${describe(answer)}`);
  if (answer.ok) $('status').textContent = 'A new verification email is on its way.';
});

for (const [id, scope] of [['logout', 'local'], ['logout-others', 'others'], ['logout-global', 'global']]) {
  $(id).addEventListener('click', async () => {
    const answer = await auth.logout(scope);
    showError(answer.ok ? '' : `Logout failed: ${describe(answer)}`);
    if (answer.ok && scope === 'others') await loadSessions();
    else if (answer.ok) showSignedOut('Signed out');
  });
}

auth.onChange((signedIn) => {
  if (!signedIn && !$('signed-in').hidden) showSignedOut('Your session ended; sign in again.');
});

// For the page's other scripts (demo/mfa.js, demo/passkeys.js).
window.demoApp = { showSignedIn, showSignedOut, showError, describe, loadSessions };

$('api-url').textContent = window.DEMO_CONFIG.apiUrl;
// Federated sign-in (demo/federated.js): a landing with ?code= signs in before the cookie is tried.
const ui = { showError, setStatus: (text) => ($('status').textContent = text), reload: () => loadMe().then(loadSessions) };
window.demoFederated.wireSettings(auth, ui);
// A reload restores the session from the cookie with one refresh (`restored`: whether it did).
window.demoApp.restored = window.demoFederated.federatedLanding(auth, ui)
  .then((signedIn) => signedIn || auth.refresh())
  .then(async (signedIn) => {
    await (signedIn ? showSignedIn() : showSignedOut());
    return signedIn;
  });
