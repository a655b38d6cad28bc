/**
 * The security page of a signed-in user: profile and email change, password change (a screen of
 * its own), authenticator app (QR enrolment, recovery codes shown once, removal), passkeys, the
 * linked provider, sessions ("Chrome on Linux · 5 minutes ago", this device marked) and recent
 * activity as sentences. Sensitive operations go through the step-up prompt (step-up.js).
 */
import { calendarDate, describeDevice, describeEvent, relativeTime } from './format.js';
import { auth, passkeys } from './auth.js';
import { drawQr } from './qr.js';
import { $, announce, clearErrors, el, showError, showScreen, timeElement, whileBusy } from './ui.js';

const PROVIDER = 'local';

export function createAccount({ stepUp }) {
  let factors = [];
  let pendingFactorId = null;
  const withStepUp = (operation) => stepUp().withStepUp(operation);
  /** Several loads may overlap (a sign-in, a change, a refresh): only the latest one draws. */
  const latest = {};
  async function latestOnly(key, load, draw) {
    const ticket = (latest[key] = (latest[key] ?? 0) + 1);
    const value = await load();
    if (ticket === latest[key]) draw(value);
  }

  const removeButton = (label, onClick) => {
    const button = el('button', 'Remove', { type: 'button', class: 'danger', 'aria-label': label });
    button.addEventListener('click', onClick);
    return button;
  };

  // ---- Profile, email, linked provider -------------------------------------------------------

  async function loadProfile() {
    await latestOnly('me', () => auth.account.me(), (me) => {
      $('whoami').textContent = `Signed in as ${me.email}`;
      $('profile-name').textContent = me.name || 'Not given';
      $('profile-email').textContent = me.email;
      $('profile-verified').textContent = me.emailVerified ? 'verified' : 'not verified';
      $('profile-verified').className = `badge ${me.emailVerified ? 'ok' : 'warn'}`;
      $('resend-verification').hidden = me.emailVerified;
      $('profile-since').replaceChildren(timeElement(me.createdAt, calendarDate(me.createdAt)));
      const identity = (me.identities ?? []).find((i) => i.provider === PROVIDER);
      $('identity-local').textContent = identity ? `The local provider is linked (since ${relativeTime(identity.linkedAt)}): you can sign in with it.` : 'No provider is linked.';
      $('link-provider').hidden = Boolean(identity);
      $('unlink-provider').hidden = !identity;
    });
  }

  $('resend-verification').addEventListener('click', async () => {
    const section = $('profile');
    clearErrors(section);
    try {
      await auth.account.resendVerification();
      announce(`A new verification link is on its way to ${$('profile-email').textContent}.`);
    } catch (err) {
      showError(section, err);
    }
  });

  $('email-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    const newEmail = form.elements.newEmail.value.trim();
    void whileBusy(form, async () => {
      clearErrors(form);
      try {
        await withStepUp(() => auth.account.requestEmailChange({ newEmail }));
        form.reset();
        announce(`Check ${newEmail}: we sent it a confirmation link. Your email changes when you open it.`);
      } catch (err) {
        showError(form, err);
      }
    });
  });

  $('link-provider').addEventListener('click', async () => {
    const section = $('identities-section');
    clearErrors(section);
    try {
      window.location.assign(await withStepUp(() => auth.federation.link(PROVIDER, { redirectUri: `${window.location.origin}/` })));
    } catch (err) {
      showError(section, err, 'link');
    }
  });

  $('unlink-provider').addEventListener('click', async () => {
    const section = $('identities-section');
    clearErrors(section);
    try {
      await withStepUp(() => auth.federation.unlink(PROVIDER));
      announce('The local provider is unlinked.');
    } catch (err) {
      showError(section, err);
    }
    await Promise.all([loadProfile(), loadActivity()]);
  });

  // ---- Password --------------------------------------------------------------------------------

  $('change-password-open').addEventListener('click', () => showScreen('change-password'));
  $('change-password-cancel').addEventListener('click', () => {
    $('password-form').reset();
    clearErrors($('password-form'));
    showScreen('account');
  });
  $('password-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    const input = { currentPassword: form.elements.currentPassword.value, newPassword: form.elements.newPassword.value };
    void whileBusy(form, async () => {
      clearErrors(form);
      try {
        await withStepUp(() => auth.account.changePassword(input));
      } catch (err) {
        showError(form, err, 'change-password');
        return;
      }
      form.reset();
      showScreen('account');
      announce('Your password is changed. Your other devices were signed out.');
      await Promise.all([loadSessions(), loadActivity()]);
    });
  });

  // ---- Authenticator app and recovery codes ----------------------------------------------------

  function showCodes(codes) {
    $('mfa-code-list').replaceChildren(...codes.map((code) => el('li', code)));
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
    clearErrors($('mfa-confirm-form'));
    $('mfa-enrolment').hidden = true;
  }

  function factorItem(factor, what) {
    const item = el('li');
    item.dataset.factorId = factor.id;
    const text = el('span', undefined, { class: 'what' });
    const used = factor.lastUsedAt ? `last used ${relativeTime(factor.lastUsedAt)}` : 'not used yet';
    text.append(el('span', factor.name), el('span', `Added ${relativeTime(factor.createdAt)} · ${used}`, { class: 'meta' }));
    item.append(
      text,
      removeButton(`Remove ${factor.name}`, async () => {
        const section = $(what === 'passkey' ? 'passkeys-section' : 'mfa');
        clearErrors(section);
        try {
          await withStepUp(() => auth.mfa.removeFactor(factor.id));
          announce(`${factor.name} is removed. Your other devices were signed out.`);
        } catch (err) {
          showError(section, err);
        }
        await Promise.all([loadFactors(), loadSessions(), loadActivity()]);
      }),
    );
    return item;
  }

  async function loadFactors() {
    await latestOnly('factors', () => auth.mfa.factors(), (list) => {
      factors = list;
      const apps = list.filter((f) => f.type === 'totp');
      const passkeys = list.filter((f) => f.type === 'passkey');
      $('mfa-factors').replaceChildren(...(apps.length ? apps.map((f) => factorItem(f, 'totp')) : [el('li', 'Not set up: your password alone signs you in.')]));
      $('mfa-enrol').hidden = apps.length > 0;
      $('mfa-regenerate').hidden = list.length === 0;
      $('passkeys').replaceChildren(...(passkeys.length ? passkeys.map((f) => factorItem(f, 'passkey')) : [el('li', 'No passkeys yet.')]));
    });
  }

  $('mfa-enrol').addEventListener('click', async () => {
    const section = $('mfa');
    clearErrors(section);
    hideCodes();
    try {
      const enrolment = await withStepUp(() => auth.mfa.enrolTotp());
      pendingFactorId = enrolment.factor.id;
      $('mfa-secret').textContent = enrolment.secret;
      $('mfa-uri').textContent = enrolment.otpauthUri;
      await drawQr($('mfa-qr'), enrolment.otpauthUri);
      $('mfa-enrolment').hidden = false;
      $('mfa-confirm-form').elements.code.focus();
    } catch (err) {
      showError(section, err);
    }
  });

  $('mfa-enrol-cancel').addEventListener('click', () => {
    closeEnrolment();
    $('mfa-enrol').focus();
  });

  $('mfa-confirm-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    const code = form.elements.code.value.trim();
    void whileBusy(form, async () => {
      clearErrors(form);
      try {
        const { recoveryCodes } = await auth.mfa.confirmTotp({ factorId: pendingFactorId, code });
        closeEnrolment();
        announce('Your authenticator app is set up. Your other devices were signed out.');
        if (recoveryCodes) showCodes(recoveryCodes);
        await Promise.all([loadFactors(), loadSessions(), loadActivity()]);
      } catch (err) {
        showError(form, err, 'second-factor');
      }
    });
  });

  $('mfa-regenerate').addEventListener('click', async () => {
    const section = $('mfa');
    clearErrors(section);
    try {
      showCodes(await withStepUp(() => auth.mfa.regenerateRecoveryCodes()));
      void loadActivity();
    } catch (err) {
      showError(section, err);
    }
  });

  $('mfa-codes-done').addEventListener('click', () => {
    hideCodes();
    ($('mfa-regenerate').hidden ? $('mfa-enrol') : $('mfa-regenerate')).focus();
  });

  // ---- Passkeys ----------------------------------------------------------------------------------

  if (!passkeys.supported()) {
    $('passkey-add').disabled = true;
    $('passkeys-section').append(el('p', 'This browser does not support passkeys.'));
  }

  $('passkey-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    const name = form.elements.name.value.trim();
    void whileBusy(form, async () => {
      clearErrors(form);
      try {
        const factor = await withStepUp(() => passkeys.register(name ? { name } : {}));
        form.reset();
        announce(`Passkey "${factor.name}" added.`);
      } catch (err) {
        showError(form, err, 'add-passkey');
      }
      await Promise.all([loadFactors(), loadActivity()]);
    });
  });

  // ---- Sessions and activity ---------------------------------------------------------------------

  async function loadSessions() {
    await latestOnly('sessions', () => auth.activity.sessions(), (sessions) => {
      $('sessions').replaceChildren(
        ...sessions.map((session) => {
          const item = el('li');
          item.dataset.sessionId = session.id;
          if (session.current) item.classList.add('current');
          const text = el('span', undefined, { class: 'what' });
          const device = el('span', describeDevice(session.userAgent));
          if (session.current) device.append(el('span', 'this device', { class: 'this-device' }));
          const meta = el('span', undefined, { class: 'meta' });
          meta.append(`${session.current ? 'Active now' : `Last active ${relativeTime(session.lastUsedAt)}`} · signed in ${relativeTime(session.createdAt)}${session.ip ? ` · ${session.ip}` : ''}`);
          text.append(device, meta);
          item.append(text);
          if (!session.current) {
            const revoke = el('button', 'Sign out', { type: 'button', class: 'secondary revoke', 'aria-label': `Sign out ${describeDevice(session.userAgent)}, last active ${relativeTime(session.lastUsedAt)}` });
            revoke.addEventListener('click', async () => {
              const section = $('sessions-section');
              clearErrors(section);
              try {
                await withStepUp(() => auth.activity.revokeSession(session.id));
                announce(`${describeDevice(session.userAgent)} is signed out.`);
              } catch (err) {
                showError(section, err);
              }
              await Promise.all([loadSessions(), loadActivity()]);
            });
            item.append(revoke);
          }
          return item;
        }),
      );
    });
  }

  $('logout-others').addEventListener('click', async () => {
    const section = $('sessions-section');
    clearErrors(section);
    try {
      await auth.logout('others');
      announce('Your other devices are signed out.');
    } catch (err) {
      showError(section, err);
    }
    await Promise.all([loadSessions(), loadActivity()]);
  });

  async function loadActivity() {
    await latestOnly('activity', () => auth.activity.events({ limit: 10 }), ({ events }) => {
      const now = Date.now();
      $('activity').replaceChildren(...(events.length ? events.map((event) => el('li', describeEvent(event, now))) : [el('li', 'Nothing yet.')]));
    });
  }

  /** Draws the whole page; a section that cannot load says so in place. */
  async function load() {
    const parts = [
      [loadProfile, 'profile'],
      [loadFactors, 'mfa'],
      [loadSessions, 'sessions-section'],
      [loadActivity, 'activity-section'],
    ];
    await Promise.all(parts.map(([loader, section]) => loader().catch((err) => showError($(section), err))));
  }

  /** Empties everything a signed-in user saw (the forms are reset by the page). */
  function clear() {
    factors = [];
    closeEnrolment();
    hideCodes();
    for (const id of ['mfa-factors', 'passkeys', 'sessions', 'activity']) $(id).replaceChildren();
    for (const id of ['whoami', 'profile-name', 'profile-email', 'profile-verified', 'profile-since', 'identity-local', 'verify-notice-email']) $(id).textContent = '';
    $('verify-notice').hidden = true;
    for (const key of Object.keys(latest)) latest[key] += 1;
  }

  function showVerifyNotice(email) {
    $('verify-notice-email').textContent = email;
    $('verify-notice').hidden = false;
  }
  $('verify-notice-dismiss').addEventListener('click', () => {
    $('verify-notice').hidden = true;
    $('account-title').focus();
  });

  return {
    load,
    loadSessions,
    clear,
    showVerifyNotice,
    hasTotp: () => factors.some((f) => f.type === 'totp'),
    hasPasskey: () => factors.some((f) => f.type === 'passkey'),
  };
}
