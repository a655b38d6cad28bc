/**
 * The calls the page needs beyond the client's own areas: passkey ceremonies (with
 * `@simplewebauthn/browser`, served as /vendor/webauthn.mjs) and federated sign-in and linking.
 * Requests go the client's way (cookie mode, the client's access token, the client's AuthError), and
 * a sign-in here hands the session to the client with one refresh, as a page reload would.
 */
import { AuthError } from '/client.js';
import * as webauthn from '/vendor/webauthn.mjs';

const apiUrl = window.DEMO_CONFIG.apiUrl;

async function call(method, path, { body, bearer, tokenRoute } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (tokenRoute) headers['x-auth-transport'] = 'cookie';
  let response;
  try {
    response = await fetch(`${apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'include', cache: 'no-store' });
  } catch (cause) {
    throw new AuthError('network_error', 'The auth API could not be reached.', { cause });
  }
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed;
  const error = parsed?.error;
  if (error?.code) throw new AuthError(error.code, error.message ?? error.code, { status: response.status, details: error.details ?? [], retryAfter: Number(response.headers.get('retry-after')) || undefined });
  throw new AuthError(response.status === 403 ? 'forbidden' : 'unexpected_response', `HTTP ${response.status}`, { status: response.status });
}

const authed = async (auth, method, path, body) => call(method, path, { body, bearer: await auth.accessToken() });

/** A cancelled or refused ceremony in the browser: the person said no, or nothing matched. */
export const ceremonyCancelled = (err) => err?.name === 'NotAllowedError' || err?.name === 'AbortError';
export const passkeysSupported = () => webauthn.browserSupportsWebAuthn();
export const autofillSupported = () => webauthn.browserSupportsWebAuthnAutofill();

/** Signs in with a discoverable passkey (`autofill`: offered in the email field's suggestions). */
export async function passkeySignIn(auth, { autofill = false } = {}) {
  const optionsJSON = await call('POST', '/auth/passkeys/login/options', { body: {} });
  const response = await webauthn.startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
  await call('POST', '/auth/passkeys/login/verify', { body: { response }, tokenRoute: true });
  return auth.refresh();
}

/** Completes a password sign-in's `mfaRequired` with a passkey. */
export async function passkeySecondFactor(auth, mfaToken) {
  const optionsJSON = await call('POST', '/auth/mfa/challenge', { body: { mfaToken } });
  const passkey = await webauthn.startAuthentication({ optionsJSON });
  await call('POST', '/auth/mfa/verify', { body: { mfaToken, passkey }, tokenRoute: true });
  return auth.refresh();
}

/** Step-up with a passkey instead of the password. */
export async function passkeyReauthenticate(auth) {
  const optionsJSON = await call('POST', '/auth/passkeys/login/options', { body: {} });
  const passkey = await webauthn.startAuthentication({ optionsJSON });
  await auth.mfa.reauthenticate({ passkey });
}

/** Registers a passkey of this device for the signed-in user. */
export async function addPasskey(auth, name) {
  const optionsJSON = await authed(auth, 'POST', '/auth/passkeys/register/options', {});
  const response = await webauthn.startRegistration({ optionsJSON });
  return (await authed(auth, 'POST', '/auth/passkeys/register/verify', name ? { response, name } : { response })).factor;
}

/** Where "Continue with <provider>" sends the browser. */
export function authorizeUrl(provider, redirectUri, loginHint) {
  const url = new URL(`${apiUrl}/auth/oauth/${encodeURIComponent(provider)}/authorize`);
  url.searchParams.set('redirect_uri', redirectUri);
  if (loginHint) url.searchParams.set('login_hint', loginHint);
  return url.href;
}

/** Exchanges the callback's one-time `?code=`: `signedIn`, or `mfaRequired` (no session yet). */
export async function exchangeCode(auth, code) {
  const answer = await call('POST', '/auth/oauth/token', { body: { code }, tokenRoute: true });
  if (answer?.mfaRequired) return { status: 'mfaRequired', mfaToken: answer.mfaToken, factors: answer.factors };
  await auth.refresh();
  return { status: 'signedIn' };
}

/** Starts linking a provider to the signed-in account: the URL to send the browser to. */
export async function linkUrl(auth, provider, redirectUri) {
  return (await authed(auth, 'POST', `/auth/oauth/${encodeURIComponent(provider)}/link`, { redirectUri })).authorizationUrl;
}

export async function unlink(auth, provider) {
  await authed(auth, 'DELETE', `/auth/identities/${encodeURIComponent(provider)}`);
}
