/**
 * The service's emails. Each kind has one text template and one HTML template, filled from the
 * same values. Links are built from the configured APP_URL only (never from a request's Host
 * header, which a client controls): `<APP_URL>/verify-email?token=...` and
 * `<APP_URL>/reset-password?token=...`. The pages there POST the token; opening a link changes
 * nothing by itself, so mail scanners that follow links cannot consume tokens.
 */
export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

export interface LinkEmailValues {
  appUrl: string;
  token: string;
  /** Lifetime of the link in seconds, told to the reader. */
  ttlSeconds: number;
}

export function actionLink(appUrl: string, page: 'verify-email' | 'reset-password' | 'confirm-email', token: string): string {
  return `${appUrl.replace(/\/+$/, '')}/${page}?token=${encodeURIComponent(token)}`;
}

/** "24 hours", "30 minutes": how long a link works, in words. */
export function duration(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds % 86_400 === 0 && seconds >= 172_800) return plural(seconds / 86_400, 'day');
  if (seconds % 3600 === 0) return plural(seconds / 3600, 'hour');
  return plural(Math.max(1, Math.round(seconds / 60)), 'minute');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

function htmlPage(title: string, intro: string, button: string, link: string, outro: string): string {
  const href = escapeHtml(link);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2328;max-width:560px;margin:24px auto;padding:0 16px">
<h1 style="font-size:20px">${escapeHtml(title)}</h1>
<p>${escapeHtml(intro)}</p>
<p><a href="${href}" style="display:inline-block;background:#0969da;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${escapeHtml(button)}</a></p>
<p style="font-size:13px;color:#57606a">If the button does not work, copy this address into your browser:<br><a href="${href}">${href}</a></p>
<p style="font-size:13px;color:#57606a">${escapeHtml(outro)}</p>
</body></html>
`;
}

export function verificationEmail(values: LinkEmailValues): EmailContent {
  const link = actionLink(values.appUrl, 'verify-email', values.token);
  const lifetime = duration(values.ttlSeconds);
  const subject = 'Confirm your email address';
  const outro = `The link works once and for ${lifetime}. If you did not create an account, ignore this email.`;
  const text = `Confirm your email address

Open this link to confirm the email address of your account:

${link}

${outro}
`;
  return { subject, text, html: htmlPage(subject, 'Confirm the email address of your account.', 'Confirm email', link, outro) };
}

export function passwordResetEmail(values: LinkEmailValues): EmailContent {
  const link = actionLink(values.appUrl, 'reset-password', values.token);
  const lifetime = duration(values.ttlSeconds);
  const subject = 'Reset your password';
  const outro = `The link works once and for ${lifetime}. Choosing a new password signs you out everywhere. If you did not ask for this, ignore this email: your password stays as it is.`;
  const text = `Reset your password

Someone (hopefully you) asked to reset the password of your account. Open this link to choose a new one:

${link}

${outro}
`;
  return { subject, text, html: htmlPage(subject, 'Choose a new password for your account.', 'Reset password', link, outro) };
}

export function emailChangeEmail(values: LinkEmailValues): EmailContent {
  const link = actionLink(values.appUrl, 'confirm-email', values.token);
  const lifetime = duration(values.ttlSeconds);
  const subject = 'Confirm your new email address';
  const outro = `The link works once and for ${lifetime}. Confirming signs you out on every other device. If you did not ask for this, ignore this email: nothing changes.`;
  const text = `Confirm your new email address

Someone (hopefully you) asked to use this address for their account. Open this link to confirm it:

${link}

${outro}
`;
  return { subject, text, html: htmlPage(subject, 'Confirm this address as the new email of your account.', 'Confirm new email', link, outro) };
}

/** Where and when a security notice's action came from, told to the reader. */
export interface NoticeValues {
  at: Date;
  ip: string | undefined;
  userAgent: string | undefined;
}

function noticePage(title: string, paragraphs: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2328;max-width:560px;margin:24px auto;padding:0 16px">
<h1 style="font-size:20px">${escapeHtml(title)}</h1>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
</body></html>
`;
}

/** A security notice: what happened, when, from where, and what to do if it was not the reader. */
export function securityNotice(subject: string, what: string, ifNotYou: string, values: NoticeValues): EmailContent {
  const where = `When: ${values.at.toUTCString()}. From: ${values.ip ?? 'an unknown address'}, ${values.userAgent ? `"${values.userAgent.slice(0, 200)}"` : 'an unknown device'}.`;
  const text = `${subject}

${what}

${where}

${ifNotYou}
`;
  return { subject, text, html: noticePage(subject, [what, where, ifNotYou]) };
}
