'use strict';
/**
 * The pages the emails link to (<APP_URL>/verify-email?token=..., /reset-password?token=...,
 * /confirm-email?token=...).
 * Loading the page sends nothing; the token is POSTed only when the user submits the form. The
 * token is taken out of the address bar at once, so it stays out of history and bookmarks (the
 * server also sends Referrer-Policy: no-referrer).
 */
const auth = window.createAuthClient(window.DEMO_CONFIG.apiUrl);
const token = new URLSearchParams(window.location.search).get('token');
window.history.replaceState(null, '', window.location.pathname);

const form = document.getElementById('token-form');
const result = document.getElementById('result');
const ACTIONS = {
  verify: {
    path: '/auth/email/verify',
    body: () => ({ token }),
    done: (answer) => `Email ${answer.body.email} is verified.`,
  },
  'email-change': {
    path: '/auth/email/change/confirm',
    body: () => ({ token }),
    done: (answer) => `Your account's email is now ${answer.body.email}. Every other device was signed out.`,
  },
  reset: {
    path: '/auth/password/reset',
    body: () => ({ token, newPassword: new FormData(form).get('newPassword') }),
    done: () => 'Your password is changed, and every session was signed out. Log in with the new password.',
  },
};
const action = ACTIONS[form.dataset.action];

if (!token) {
  form.hidden = true;
  result.textContent = 'This link has no token. Open the link from the email again.';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  form.querySelector('button').disabled = true;
  const answer = await auth.post(action.path, action.body());
  if (answer.ok) {
    form.hidden = true;
    result.textContent = action.done(answer);
  } else {
    const error = answer.body && answer.body.error;
    result.textContent = error && error.code === 'invalid_token'
      ? 'This link is invalid, expired or already used. Ask for a new one.'
      : error && error.code === 'email_taken'
      ? 'Another account took this address meanwhile. Nothing changed.'
      : `That did not work: ${error ? `${error.message} (${error.code})` : `HTTP ${answer.status}`}`;
    form.querySelector('button').disabled = false;
  }
  result.dataset.outcome = answer.ok ? 'ok' : 'failed';
});
