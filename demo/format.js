/**
 * How the account page words what the API returns: a device from its user-agent string, a time
 * relative to now, an activity event as a sentence. Pure functions (no DOM), so the unit tests
 * run them in Node (tests/unit/demo-format.test.ts).
 */

/** Browsers in the order they must be tested: Edge and Opera also say "Chrome", Chrome also says "Safari". */
const BROWSERS = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\b(?:Headless)?Chrome\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
];

/** Systems likewise: Android and ChromeOS also say "Linux", iOS also says "Mac OS X". */
const SYSTEMS = [
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/**
 * "Chrome on Linux", "Safari on iOS", "Firefox", "Unknown device" — from a User-Agent header as
 * the API recorded it (null when the request had none).
 */
export function describeDevice(userAgent) {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? (system ? `A browser on ${system}` : 'Unknown device');
}

const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "just now", "5 minutes ago", "yesterday", "in 2 hours" (a clock slightly ahead of the server's). */
export function relativeTime(iso, now = Date.now()) {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (Number.isNaN(seconds)) return 'at an unknown time';
  if (Math.abs(seconds) < 45) return 'just now';
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(Math.round(seconds / 60) || Math.sign(seconds), 'minute');
}

/** A calendar date for a reader ("6 December 2026"), in the browser's time zone. */
export function calendarDate(iso) {
  return new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });
}

const EVENTS = {
  login: 'You signed in',
  login_failed: 'Someone entered a wrong password for your account',
  mfa_challenge_failed: 'A second-factor check failed',
  logout: 'You signed out',
  refresh_reuse_detected: 'A stolen-looking session token was used, so that session was ended',
  password_changed: 'You changed your password',
  password_reset: 'Your password was reset from an emailed link',
  email_verified: 'You verified your email address',
  email_change_requested: 'You asked to change your email address',
  email_changed: 'Your email address changed',
  factor_added: 'You added a second factor',
  factor_removed: 'You removed a second factor',
  recovery_codes_issued: 'You got new recovery codes',
  session_revoked: 'You signed a device out',
  account_disabled: 'Your account was disabled',
  identity_linked: 'You linked a sign-in provider',
  identity_unlinked: 'You unlinked a sign-in provider',
};

/** What `detail` adds to some events: a logout's scope, the kind of factor, the provider, who disabled the account. */
const DETAILS = {
  logout: (detail) => ({ others: 'You signed out your other devices', global: 'You signed out everywhere' })[detail],
  factor_added: (detail) => ({ totp: 'You added an authenticator app', passkey: 'You added a passkey' })[detail],
  identity_linked: (detail) => `You linked your ${detail} sign-in`,
  identity_unlinked: (detail) => `You unlinked your ${detail} sign-in`,
  account_disabled: (detail) => (detail === 'operator' ? 'An administrator disabled your account' : undefined),
};

/** "You signed in · Chrome on Linux · 5 minutes ago" for an event of GET /auth/events. */
export function describeEvent(event, now = Date.now()) {
  const what = (event.detail && DETAILS[event.type]?.(event.detail)) ?? EVENTS[event.type] ?? 'Something changed on your account';
  return `${what} · ${describeDevice(event.userAgent)} · ${relativeTime(event.at, now)}`;
}
