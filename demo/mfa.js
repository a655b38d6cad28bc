'use strict';
/**
 * Second factors in the demo: TOTP enrolment with a QR code drawn on the page, recovery codes
 * shown once, the second step of a sign-in, the factor list with removal, new recovery codes, and
 * the step-up prompt.
 *
 * - The QR code is drawn here from the `otpauth://` URI by `uqr` (an npm package the demo server
 *   serves from node_modules at /vendor/uqr.mjs): the key never leaves the page for a QR service.
 * - The key and the recovery codes are shown once and removed from the page when the user is
 *   done with them; they are never stored.
 * - Step-up: a sensitive operation answering 401 `insufficient_user_authentication` opens a
 *   dialog for the password (and a code when the account has a factor), calls
 *   POST /auth/reauthenticate, then retries the operation once. `window.demoMfa.withStepUp` is
 *   there for other features' sensitive operations too.
 */
(function () {
  const auth = window.demoAuth;
  const app = window.demoApp;
  const $ = (id) => document.getElementById(id);
  let pendingMfaToken = null;
  let pendingFactorId = null;
  let hasFactors = false;

  const isStepUp = (answer) => answer.status === 401 && answer.body && answer.body.error && answer.body.error.code === 'insufficient_user_authentication';

  // ---- Step-up --------------------------------------------------------------------------------

  /** Opens the dialog; resolves true once the session was reauthenticated, false when cancelled. */
  function reauthenticate() {
    const dialog = $('step-up');
    const form = $('step-up-form');
    form.reset();
    $('step-up-error').hidden = true;
    $('step-up-code-label').hidden = !hasFactors;
    $('step-up-code-hint').hidden = !hasFactors;
    form.elements.code.required = hasFactors;
    return new Promise((resolve) => {
      const done = (result) => {
        form.removeEventListener('submit', onSubmit);
        $('step-up-cancel').removeEventListener('click', onCancel);
        dialog.removeEventListener('cancel', onCancel);
        if (dialog.open) dialog.close();
        resolve(result);
      };
      const onSubmit = async (event) => {
        event.preventDefault();
        const { password, code } = Object.fromEntries(new FormData(form).entries());
        const answer = await auth.authed('/auth/reauthenticate', { method: 'POST', body: hasFactors ? { password, code } : { password } });
        if (!answer.ok) {
          $('step-up-error').textContent = `Not confirmed: ${app.describe(answer)}`;
          $('step-up-error').hidden = false;
          // The account has a factor this page did not know of yet: ask for its code too.
          if (answer.body && answer.body.error && answer.body.error.code === 'invalid_code' && !hasFactors) {
            hasFactors = true;
            $('step-up-code-label').hidden = false;
            $('step-up-code-hint').hidden = false;
            form.elements.code.required = true;
            form.elements.code.focus();
          }
          return;
        }
        auth.adopt(answer.body);
        done(true);
      };
      const onCancel = (event) => {
        event.preventDefault();
        done(false);
      };
      form.addEventListener('submit', onSubmit);
      $('step-up-cancel').addEventListener('click', onCancel);
      // Escape closes a modal dialog: a cancel.
      dialog.addEventListener('cancel', onCancel);
      dialog.showModal();
      form.elements.password.focus();
    });
  }

  /** Runs `operation` (a function returning an API answer); on a step-up challenge, asks and retries once. */
  async function withStepUp(operation) {
    const answer = await operation();
    if (!isStepUp(answer)) return answer;
    if (!(await reauthenticate())) return answer;
    return operation();
  }

  // ---- Signed in: factors, enrolment, recovery codes ----------------------------------------

  function showCodes(codes) {
    const list = $('mfa-code-list');
    list.replaceChildren(...codes.map((code) => Object.assign(document.createElement('li'), { textContent: code })));
    $('mfa-codes').hidden = false;
    $('mfa-codes').focus();
  }

  function hideCodes() {
    $('mfa-code-list').replaceChildren();
    $('mfa-codes').hidden = true;
  }

  function closeEnrolment() {
    pendingFactorId = null;
    $('mfa-qr').replaceChildren();
    $('mfa-secret').textContent = '';
    $('mfa-uri').textContent = '';
    $('mfa-confirm-form').reset();
    $('mfa-enrolment').hidden = true;
  }

  async function loadFactors() {
    const list = $('mfa-factors');
    const answer = await auth.authed('/auth/mfa/factors');
    list.replaceChildren();
    if (!answer.ok) {
      list.append(Object.assign(document.createElement('li'), { textContent: `Second factors unavailable: ${app.describe(answer)}` }));
      return;
    }
    const { factors } = answer.body;
    hasFactors = factors.length > 0;
    $('mfa-regenerate').hidden = !hasFactors;
    if (!hasFactors) list.append(Object.assign(document.createElement('li'), { textContent: 'None: the password alone signs in.' }));
    for (const factor of factors) {
      const item = document.createElement('li');
      item.dataset.factorId = factor.id;
      item.textContent = `${factor.name} (${factor.type}) · added ${factor.createdAt} · last used ${factor.lastUsedAt || 'never'} `;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'mfa-remove';
      remove.textContent = 'Remove';
      remove.setAttribute('aria-label', `Remove ${factor.name}`);
      remove.addEventListener('click', async () => {
        const result = await withStepUp(() => auth.authed(`/auth/mfa/factors/${encodeURIComponent(factor.id)}`, { method: 'DELETE' }));
        app.showError(result.ok ? '' : `Removal failed: ${app.describe(result)}`);
        if (result.ok) $('status').textContent = 'Second factor removed; your other devices were signed out.';
        await loadFactors();
        await app.loadSessions();
      });
      item.append(remove);
      list.append(item);
    }
  }

  /** Draws the QR code of `text` as SVG elements (no markup strings, nothing from elsewhere). */
  async function drawQr(text) {
    const { encode } = await import('/vendor/uqr.mjs');
    const { data, size } = encode(text, { ecc: 'M', border: 2 });
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'QR code of the authenticator key (the key is also written below)');
    svg.setAttribute('shape-rendering', 'crispEdges');
    const background = document.createElementNS(ns, 'rect');
    for (const [name, value] of [['width', size], ['height', size], ['fill', '#fff']]) background.setAttribute(name, String(value));
    const path = document.createElementNS(ns, 'path');
    let d = '';
    data.forEach((row, y) => row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    }));
    path.setAttribute('d', d);
    path.setAttribute('fill', '#000');
    svg.append(background, path);
    $('mfa-qr').replaceChildren(svg);
  }

  $('mfa-enrol').addEventListener('click', async () => {
    hideCodes();
    const answer = await withStepUp(() => auth.authed('/auth/mfa/totp', { method: 'POST' }));
    app.showError(answer.ok ? '' : `Enrolment failed: ${app.describe(answer)}`);
    if (!answer.ok) return;
    pendingFactorId = answer.body.factor.id;
    $('mfa-secret').textContent = answer.body.secret;
    $('mfa-uri').textContent = answer.body.otpauthUri;
    await drawQr(answer.body.otpauthUri);
    $('mfa-enrolment').hidden = false;
    $('mfa-confirm-form').elements.code.focus();
  });

  $('mfa-enrol-cancel').addEventListener('click', closeEnrolment);

  $('mfa-confirm-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const code = event.target.elements.code.value.trim();
    const answer = await auth.authed('/auth/mfa/totp/confirm', { method: 'POST', body: { factorId: pendingFactorId, code } });
    app.showError(answer.ok ? '' : `Confirmation failed: ${app.describe(answer)}`);
    if (!answer.ok) return;
    auth.adopt(answer.body);
    closeEnrolment();
    $('status').textContent = 'Authenticator app added.';
    if (answer.body.recoveryCodes) showCodes(answer.body.recoveryCodes);
    await loadFactors();
    await app.loadSessions();
  });

  $('mfa-regenerate').addEventListener('click', async () => {
    const answer = await withStepUp(() => auth.authed('/auth/mfa/recovery-codes', { method: 'POST' }));
    app.showError(answer.ok ? '' : `New recovery codes failed: ${app.describe(answer)}`);
    if (answer.ok) showCodes(answer.body.recoveryCodes);
  });

  $('mfa-codes-done').addEventListener('click', () => {
    hideCodes();
    $('mfa-enrol').focus();
  });

  // ---- Signed out: the second step of a sign-in -----------------------------------------------

  function closeVerify() {
    pendingMfaToken = null;
    $('mfa-verify-form').reset();
    $('mfa-verify-form').hidden = true;
    $('login-form').hidden = false;
  }

  document.addEventListener('demo:mfa-required', (event) => {
    pendingMfaToken = event.detail.mfaToken;
    $('login-form').hidden = true;
    $('mfa-verify-form').hidden = false;
    $('status').textContent = 'Password accepted: one more step.';
    $('mfa-verify-form').elements.code.focus();
  });

  $('mfa-verify-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { code, recoveryCode } = Object.fromEntries(new FormData(event.target).entries());
    const proof = code.trim() ? { code: code.trim() } : { recoveryCode: recoveryCode.trim() };
    if (!proof.code && !proof.recoveryCode) {
      app.showError('Enter a code from the app or a recovery code.');
      return;
    }
    const answer = await auth.verifyMfa(pendingMfaToken, proof);
    if (!answer.ok) {
      app.showError(`Second factor refused: ${app.describe(answer)}`);
      // A dead token (expired, used, too many wrong codes) needs the password again.
      if (answer.body && answer.body.error && answer.body.error.code === 'invalid_mfa_token') closeVerify();
      return;
    }
    app.showError('');
    closeVerify();
    await app.showSignedIn();
  });

  $('mfa-verify-cancel').addEventListener('click', () => {
    closeVerify();
    $('status').textContent = 'Signed out';
  });

  // ---- Page state ------------------------------------------------------------------------------

  document.addEventListener('demo:signed-in', () => void loadFactors());
  document.addEventListener('demo:signed-out', () => {
    hasFactors = false;
    closeEnrolment();
    hideCodes();
    $('mfa-factors').replaceChildren();
  });

  window.demoMfa = { withStepUp };
})();
