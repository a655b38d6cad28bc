/**
 * The pages the emails link to (<APP_URL>/verify-email?token=..., /reset-password?token=...,
 * /confirm-email?token=...), on the client package like the app.
 * Loading the page sends nothing; the token is POSTed only when the user submits the form. The
 * token is taken out of the address bar at once, so it stays out of history and bookmarks (the
 * server also sends Referrer-Policy: no-referrer).
 */
import { auth } from './auth.js';
import { clearErrors, showError } from './ui.js';

const token = new URLSearchParams(window.location.search).get('token');
window.history.replaceState(null, '', window.location.pathname);

const form = document.getElementById('token-form');
const result = document.getElementById('result');
const ACTIONS = {
  verify: {
    run: () => auth.account.verifyEmail({ token }),
    done: (user) => `Your email ${user.email} is verified.`,
  },
  'email-change': {
    run: () => auth.account.confirmEmailChange({ token }),
    done: (user) => `Your account's email is now ${user.email}. Every other device was signed out.`,
  },
  reset: {
    run: () => auth.account.resetPassword({ token, newPassword: form.elements.newPassword.value }),
    done: () => 'Your password is changed, and every session was signed out. Sign in with the new password.',
  },
};
const action = ACTIONS[form.dataset.action];

if (!token) {
  form.hidden = true;
  result.textContent = 'This link has no token. Open the link from the email again.';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = form.querySelector('button');
  button.disabled = true;
  clearErrors(form);
  try {
    const answer = await action.run();
    form.hidden = true;
    result.textContent = action.done(answer);
    result.dataset.outcome = 'ok';
  } catch (err) {
    result.textContent = '';
    showError(form, err?.code === 'email_taken' ? 'Another account took this address meanwhile. Nothing changed.' : err);
    result.dataset.outcome = 'failed';
    button.disabled = false;
  }
});
