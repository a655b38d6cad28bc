'use strict';
/**
 * Every kind of item the two tables hold, described once: its partition key, its attributes,
 * whether it expires through TTL, and the module that writes it. docs/reference/data-model.md shows this
 * list (its table is generated from here: `node infra/data-model.js` rewrites it), and
 * tests/unit/data-model.test.ts fails when code under lib/ builds a key prefix missing here, when a
 * prefix here is built by no code, or when the page and this list differ.
 *
 * Both tables have a single string key, `pk`; an item's kind is its key prefix. The table
 * definitions themselves (indexes, TTL, billing) are in infra/tables.js.
 */

const { TTL_ATTRIBUTE, SESSIONS_BY_OWNER_INDEX, EVENTS_BY_USER_INDEX } = require('./tables.js');

/**
 * @typedef {object} ItemKind
 * @property {'users' | 'sessions'} table
 * @property {string} prefix      what every key of the kind starts with, `#` included
 * @property {string} key         the whole key, with its variable parts in angle brackets
 * @property {string} holds       what one item stands for
 * @property {string[]} attributes the attributes besides `pk` (`?` marks optional ones)
 * @property {string | null} ttl  how long it lives through the TTL attribute, or null: kept until deleted
 * @property {string} writtenBy   the module that writes the item
 * @property {string} [keyBuiltIn] the module that builds its key, when not `writtenBy`
 */

/** @type {ItemKind[]} */
const ITEM_KINDS = [
  {
    table: 'users',
    prefix: 'USER#',
    key: 'USER#<id>',
    holds: 'an account',
    attributes: [
      'id', 'email', 'name?', 'roles', 'emailVerified', 'createdAt', 'passwordHash (empty for an account made by a federated sign-in)',
      'verifyTokenHash?', 'resetTokenHash?', 'emailChangeTokenHash? (its current email link of each kind)',
      'disabledAt?', 'passwordChangedAt?', 'emailChangedAt?',
      'credentialEpoch (bumped by every credential change)', 'signIns (bumped by every sign-in)',
      'session:<sid> (absolute end of each session it opened)', 'identity:<provider>#<subject> (when each federated identity was linked)',
    ],
    ttl: null,
    writtenBy: 'lib/repositories/users.ts',
  },
  {
    table: 'users',
    prefix: 'EMAIL#',
    key: 'EMAIL#<email>',
    holds: 'the claim that makes an email belong to one account (written with attribute_not_exists in the transaction that creates the user or moves its email)',
    attributes: ['userId', 'createdAt'],
    ttl: null,
    writtenBy: 'lib/repositories/users.ts',
  },
  {
    table: 'users',
    prefix: 'IDENTITY#',
    key: 'IDENTITY#<provider>#<subject>',
    holds: 'the claim that makes a federated identity belong to one account',
    attributes: ['userId', 'provider', 'subject', 'email', 'createdAt'],
    ttl: null,
    writtenBy: 'lib/repositories/users.ts',
  },
  {
    table: 'users',
    prefix: 'DEVICE#',
    key: 'DEVICE#<sha256 of the device token>',
    holds: 'a device that signed in to an account: its own allowance of password guesses, no new-sign-in notice',
    attributes: ['userId', 'createdAt', 'expiresAt'],
    ttl: 'LOGIN_DEVICE_TTL_DAYS (90 days)',
    writtenBy: 'lib/repositories/users.ts',
    keyBuiltIn: 'lib/repositories/devices.ts',
  },
  {
    table: 'users',
    prefix: 'THROTTLE#',
    key: 'THROTTLE#<bucket>#<email>',
    holds: 'password attempts reserved in one throttle bucket (source, device or the whole account)',
    attributes: ['failures', 'account (the user id counted for, `-` for an email nobody holds)', 'startedAt', 'lastAt', 'prevAt', 'lastId', 'expiresAt'],
    ttl: 'a day after the latest attempt (per-source and device buckets), LOGIN_ACCOUNT_WINDOW_SECONDS (the account bucket)',
    writtenBy: 'lib/repositories/login-attempts.ts',
  },
  {
    table: 'users',
    prefix: 'RATE#',
    key: 'RATE#<bucket>#<window start>',
    holds: 'requests from one source in one fixed window: logins (passkey sign-in options included) and registrations per minute, forgot-password and resend requests per email window',
    attributes: ['hits', 'expiresAt'],
    ttl: 'the window plus a minute',
    writtenBy: 'lib/repositories/rate-limits.ts',
  },
  {
    table: 'users',
    prefix: 'ONETIME#',
    key: 'ONETIME#<kind>#<sha256 of the token>',
    holds: 'an email link\'s token (kind `verify`, `reset` or `email_change`)',
    attributes: ['kind', 'userId', 'createdAt', 'expiresAt', 'newEmail? (email change)', 'sessionId? (email change: the session that asked)'],
    ttl: 'EMAIL_VERIFICATION_TTL_SECONDS, PASSWORD_RESET_TTL_SECONDS or EMAIL_CHANGE_TTL_SECONDS',
    writtenBy: 'lib/repositories/one-time-tokens.ts',
  },
  {
    table: 'users',
    prefix: 'MAILED#',
    key: 'MAILED#<kind>#<mailbox>',
    holds: 'a sliding log of the emails of one kind (a link kind, `notice` or `sign_in_notice`) sent to one mailbox',
    attributes: ['sentAt (epoch ms list)', 'version', 'expiresAt'],
    ttl: 'EMAIL_LIMIT_WINDOW_SECONDS',
    writtenBy: 'lib/repositories/one-time-tokens.ts',
  },
  {
    table: 'users',
    prefix: 'FACTORS#',
    key: 'FACTORS#<userId>',
    holds: 'a user\'s confirmed second factors and recovery codes',
    attributes: ['userId', 'factors (map: factor id to type, name, sealed TOTP secret and last step, or passkey public key, counter, transports)', 'recoverySalt?', 'recoveryCodes? (hash set)', 'recoveryIssuedAt?', 'recoveryUsedAt?'],
    ttl: null,
    writtenBy: 'lib/repositories/factors.ts',
  },
  {
    table: 'users',
    prefix: 'FACTOR_PENDING#',
    key: 'FACTOR_PENDING#<userId>#<factorId>',
    holds: 'an authenticator-app enrolment awaiting its first code',
    attributes: ['userId', 'factorId', 'type', 'name', 'secret (sealed)', 'createdAt', 'expiresAt'],
    ttl: '15 minutes',
    writtenBy: 'lib/repositories/factors.ts',
  },
  {
    table: 'users',
    prefix: 'PASSKEY#',
    key: 'PASSKEY#<sha256 of the credential id>',
    holds: 'the owner of a passkey credential, so a credential signs in one user only',
    attributes: ['userId', 'factorId', 'createdAt'],
    ttl: null,
    writtenBy: 'lib/repositories/factors.ts',
  },
  {
    table: 'users',
    prefix: 'WEBAUTHN#',
    key: 'WEBAUTHN#<sha256 of the challenge>',
    holds: 'a single-use passkey ceremony challenge',
    attributes: ['purpose (`register`, `login` or `mfa`)', 'userId? (register, mfa)', 'mfaTokenHash? (mfa)', 'createdAt', 'expiresAt'],
    ttl: '5 minutes',
    writtenBy: 'lib/repositories/webauthn-challenges.ts',
  },
  {
    table: 'users',
    prefix: 'MFATOKEN#',
    key: 'MFATOKEN#<sha256 of the mfaToken>',
    holds: 'a sign-in awaiting its second factor',
    attributes: ['userId', 'email', 'binding', 'methods', 'knownDevice', 'attempts', 'createdAt', 'expiresAt'],
    ttl: '5 minutes',
    writtenBy: 'lib/repositories/mfa-tokens.ts',
  },
  {
    table: 'users',
    prefix: 'OAUTH_FLOW#',
    key: 'OAUTH_FLOW#<sha256 of state>',
    holds: 'a federated sign-in (or link) on its way to the provider',
    attributes: ['provider', 'codeVerifier', 'nonce', 'redirectUri', 'browser (hash of the flow cookie)', 'linkUserId?', 'linkSessionId?', 'expiresAt'],
    ttl: '10 minutes',
    writtenBy: 'lib/repositories/federation.ts',
  },
  {
    table: 'users',
    prefix: 'OAUTH_CODE#',
    key: 'OAUTH_CODE#<sha256 of the code>',
    holds: 'the one-time code a federated callback hands to the app',
    attributes: ['userId', 'epoch (the credential epoch it was judged at)', 'provider', 'expiresAt'],
    ttl: '60 seconds',
    writtenBy: 'lib/repositories/federation.ts',
  },
  {
    table: 'users',
    prefix: 'EVENT#',
    key: 'EVENT#<id>',
    holds: `a security event, listed newest first through the sparse \`${EVENTS_BY_USER_INDEX}\` index`,
    attributes: ['id', 'eventUser (the user id: index key)', 'eventAt (ISO instant and id: index sort key)', 'type', 'ip?', 'userAgent?', 'sessionId?', 'detail?', 'expiresAt'],
    ttl: 'SECURITY_EVENTS_TTL_DAYS (90 days)',
    writtenBy: 'lib/repositories/security-events.ts',
  },
  {
    table: 'sessions',
    prefix: 'SESSION#',
    key: 'SESSION#<sid>',
    holds: `a session (one sign-in on one device); \`owner\` feeds the sparse \`${SESSIONS_BY_OWNER_INDEX}\` index`,
    attributes: ['sid', 'owner (= userId)', 'userId', 'createdAt', 'lastUsedAt', 'expiresAt (the absolute session end)', 'userAgent?', 'ip?', 'revokedAt?', 'revokedReason?', 'authTime', 'acr', 'amr'],
    ttl: 'SESSION_MAX_AGE_SECONDS (30 days)',
    writtenBy: 'lib/repositories/sessions.ts',
  },
  {
    table: 'sessions',
    prefix: 'TOKEN#',
    key: 'TOKEN#<tokenId>',
    holds: 'a refresh token (only the SHA-256 of its secret)',
    attributes: [
      'tokenId', 'sid', 'userId', 'secretHash', 'issuedAt', 'expiresAt', 'sessionExpiresAt', 'consumedAt?', 'successorId?', 'consumedBy?',
      'email, roles, emailVerified (the claims it was issued with)', 'authTime, acr, amr',
    ],
    ttl: 'REFRESH_TOKEN_TTL_SECONDS (7 days), never past the session end',
    writtenBy: 'lib/repositories/sessions.ts',
  },
];

const BEGIN = '<!-- item kinds: generated from infra/data-model.js by `node infra/data-model.js`; do not edit by hand -->';
const END = '<!-- end of generated item kinds -->';

const cell = (text) => String(text).replace(/\|/g, '\\|');

/** The Markdown table docs/reference/data-model.md shows between its markers. */
function itemKindsMarkdown() {
  const rows = ITEM_KINDS.map((k) =>
    [
      k.table,
      `\`${k.key}\``,
      cell(k.holds),
      cell(k.attributes.join(', ')),
      k.ttl === null ? 'none' : cell(`\`${TTL_ATTRIBUTE}\`: ${k.ttl}`),
      `[${k.writtenBy.split('/').pop()}](../../${k.writtenBy})`,
    ].join(' | '),
  );
  return [
    BEGIN,
    '| table | key | holds | attributes | TTL | written by |',
    '|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
    END,
  ].join('\n');
}

/** `text` with its generated block replaced by the current one. */
function withItemKinds(text) {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/reference/data-model.md: markers not found (${BEGIN} ... ${END})`);
  return text.slice(0, start) + itemKindsMarkdown() + text.slice(end + END.length);
}

module.exports = { ITEM_KINDS, itemKindsMarkdown, withItemKinds };

if (require.main === module) {
  const fs = require('node:fs');
  const path = require('node:path');
  const page = path.join(__dirname, '..', 'docs', 'reference', 'data-model.md');
  fs.writeFileSync(page, withItemKinds(fs.readFileSync(page, 'utf8')));
}
