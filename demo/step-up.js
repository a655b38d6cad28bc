/**
 * The step-up prompt: a sensitive operation the API refuses with `insufficient_user_authentication`
 * (the client's `needsReauthentication`) opens a modal dialog for the password (and a code when the
 * account has an authenticator app, or a passkey instead), reauthenticates this session, and runs
 * the operation once more. Cancelled, the operation's refusal stands.
 *
 * The dialog keeps the keyboard inside it (Tab and Shift+Tab wrap), Escape closes it, and focus
 * goes back to where it was.
 */
import { auth, passkeys } from './auth.js';
import { $, clearErrors, showError, whileBusy } from './ui.js';

export function createStepUp(account) {
  const dialog = $('step-up');
  const form = $('step-up-form');

  const focusable = () => [...dialog.querySelectorAll('input, button, [tabindex]:not([tabindex="-1"])')].filter((node) => !node.disabled && node.offsetParent !== null);

  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return;
    const nodes = focusable();
    const first = nodes[0];
    const last = nodes.at(-1);
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  function askForCode(needed) {
    $('step-up-code-label').hidden = !needed;
    $('step-up-code-hint').hidden = !needed;
  }

  /** Opens the dialog; resolves true once this session is reauthenticated, false when cancelled. */
  function reauthenticate() {
    const returnTo = document.activeElement;
    form.reset();
    clearErrors(form);
    let needsCode = account.hasTotp();
    askForCode(needsCode);
    const passkeyButton = account.hasPasskey() ? ensurePasskeyButton() : null;
    if (!passkeyButton) dialog.querySelector('#step-up-passkey')?.remove();

    return new Promise((resolve) => {
      const done = (result) => {
        form.removeEventListener('submit', onSubmit);
        $('step-up-cancel').removeEventListener('click', onCancel);
        dialog.removeEventListener('cancel', onCancel);
        passkeyButton?.removeEventListener('click', onPasskey);
        if (dialog.open) dialog.close();
        if (returnTo instanceof HTMLElement && returnTo.isConnected) returnTo.focus();
        resolve(result);
      };
      const onSubmit = (event) => {
        event.preventDefault();
        const password = form.elements.password.value;
        const code = form.elements.code.value.trim();
        void whileBusy(form, async () => {
          try {
            await auth.mfa.reauthenticate(needsCode ? { password, code } : { password });
            done(true);
          } catch (err) {
            // An account with a factor this page did not know of: ask for its code too.
            if (err?.code === 'invalid_code' && !needsCode) {
              needsCode = true;
              askForCode(true);
              showError(form, 'Your account has an authenticator app: enter its code too.');
              form.elements.code.focus();
              return;
            }
            showError(form, err, 'step-up');
          }
        });
      };
      const onPasskey = () => {
        void whileBusy(form, async () => {
          try {
            await passkeys.reauthenticate();
            done(true);
          } catch (err) {
            showError(form, err, 'passkey');
          }
        });
      };
      const onCancel = (event) => {
        event.preventDefault();
        done(false);
      };
      form.addEventListener('submit', onSubmit);
      $('step-up-cancel').addEventListener('click', onCancel);
      // Escape on a modal dialog fires `cancel`.
      dialog.addEventListener('cancel', onCancel);
      passkeyButton?.addEventListener('click', onPasskey);
      dialog.showModal();
      form.elements.password.focus();
    });
  }

  function ensurePasskeyButton() {
    let button = dialog.querySelector('#step-up-passkey');
    if (!button) {
      button = Object.assign(document.createElement('button'), { type: 'button', id: 'step-up-passkey', className: 'secondary', textContent: 'Use a passkey instead' });
      form.querySelector('.actions').append(button);
    }
    return button;
  }

  /** Runs `operation`; when it needs a fresh sign-in, asks for one and runs it once more. */
  async function withStepUp(operation) {
    try {
      return await operation();
    } catch (err) {
      if (!err?.needsReauthentication) throw err;
      if (!(await reauthenticate())) throw err;
      return operation();
    }
  }

  return { withStepUp, reauthenticate };
}
