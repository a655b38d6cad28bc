/**
 * The page's one client (the client package, served as /vendor/client.js) in cookie mode, and its
 * passkey ceremonies. Every module of the page uses these two.
 */
import { createAuthClient, createPasskeys } from '/vendor/client.js';

export const auth = createAuthClient({ baseUrl: window.DEMO_CONFIG.apiUrl });
export const passkeys = createPasskeys(auth);

/** The browser's answer to a passkey request was "no" (the person cancelled, or nothing matched). */
export const cancelled = (err) => err?.code === 'passkey_cancelled';
