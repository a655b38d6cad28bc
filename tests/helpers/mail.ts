import { inject } from 'vitest';

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/** Every email the SES emulator received for `address`, oldest first. */
export async function emailsTo(address: string, endpoint: string = inject('sesEndpoint')): Promise<StoredEmail[]> {
  // A connection of its own, read again once if the emulator resets it: a kept-alive one raced
  // the emulator's idle close on a loaded machine (ECONNRESET). Reading the store changes nothing.
  const read = () => fetch(`${endpoint}/store`, { headers: { connection: 'close' } });
  const response = await read().catch((err: { cause?: { code?: string } }) => {
    if (err.cause?.code !== 'ECONNRESET') throw err;
    return read();
  });
  if (!response.ok) throw new Error(`SES emulator store answered ${response.status}`);
  const { emails } = (await response.json()) as { emails: StoredEmail[] };
  return emails.filter((e) => e.destination.to.includes(address));
}

/**
 * Waits until at least `count` emails reached `address` and returns them. Sending happens before
 * the API answers, so this normally returns at once; the wait only absorbs a slow emulator.
 */
export async function waitForEmails(address: string, count: number, endpoint?: string): Promise<StoredEmail[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await emailsTo(address, endpoint);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The token of the link to `page` in the email's text body. */
export function tokenIn(email: StoredEmail, page: 'verify-email' | 'reset-password' | 'confirm-email'): string {
  const match = new RegExp(`https?://\\S+/${page}\\?token=([A-Za-z0-9_-]+)`).exec(email.body.text ?? '');
  if (!match) throw new Error(`no ${page} link in "${email.subject}"`);
  return match[1]!;
}

/**
 * The token of the newest link of that kind sent to `address`. Waits for a link of that kind, not
 * for any email: the address may already hold others (the verification sent at registration).
 */
export async function latestToken(address: string, page: 'verify-email' | 'reset-password' | 'confirm-email', endpoint?: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const emails = (await emailsTo(address, endpoint)).filter((e) => (e.body.text ?? '').includes(`/${page}?token=`));
    if (emails.length > 0) return tokenIn(emails[emails.length - 1]!, page);
    if (Date.now() > deadline) throw new Error(`no ${page} email for ${address}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
