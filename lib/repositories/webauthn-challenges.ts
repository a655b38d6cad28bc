/**
 * WebAuthn challenges (docs/guides/mfa-and-passkeys.md "Passkeys (WebAuthn)"), in the users table:
 *
 *   WEBAUTHN#<sha256 of the challenge>
 *     purpose ("register" | "login" | "mfa"), userId? (register, mfa), mfaTokenHash? (mfa),
 *     createdAt, expiresAt (epoch s, TTL attribute)
 *
 * - A challenge is 32 random bytes made by lib/passkeys/webauthn.ts and handed to the browser in
 *   the ceremony's options; the authenticator signs over it (inside clientDataJSON). Only a hash
 *   is the key: a table read never hands out a live challenge.
 * - Single use: {@link consume} deletes the item with the condition that it is still there,
 *   unexpired, of the purpose asked and (for registration and the second step) of the user asked,
 *   and only then is the response checked. Of two requests carrying one response, one gets the
 *   challenge; the other is refused before any signature is looked at. A challenge is spent by a
 *   failed check too: each ceremony starts with new options.
 * - A registration challenge is bound to the user who asked for it, a second-step challenge to the
 *   user and the mfaToken it was made for; a sign-in challenge is bound to no one (the credential
 *   names its owner).
 * - Expired items may linger (TTL deletion lags): the condition checks `expiresAt` itself.
 */
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { epochSeconds } from '../clock';
import { dynamo, errorName } from './dynamo';

/** Lifetime of a challenge: the contract's ceiling, and the options' `timeout`. */
export const WEBAUTHN_CHALLENGE_TTL_SECONDS = 300;

export type ChallengePurpose = 'register' | 'login' | 'mfa';

export interface ChallengeBinding {
  purpose: ChallengePurpose;
  /** The user a registration or second-step challenge was made for. */
  userId?: string | undefined;
  /** Hash of the mfaToken a second-step challenge was made for. */
  mfaTokenHash?: string | undefined;
}

export const webauthnChallengeKey = (challenge: string) => `WEBAUTHN#${createHash('sha256').update(challenge).digest('base64url')}`;

export class WebAuthnChallengesRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Stores a new challenge (base64url, as the options carry it). */
  async store(challenge: string, binding: ChallengeBinding, now: Date): Promise<void> {
    const item: Record<string, unknown> = {
      pk: webauthnChallengeKey(challenge),
      purpose: binding.purpose,
      createdAt: now.toISOString(),
      expiresAt: epochSeconds(now) + WEBAUTHN_CHALLENGE_TTL_SECONDS,
    };
    if (binding.userId !== undefined) item.userId = binding.userId;
    if (binding.mfaTokenHash !== undefined) item.mfaTokenHash = binding.mfaTokenHash;
    await dynamo(() => this.doc.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })));
  }

  /**
   * Uses the challenge up: true when it existed, was unexpired and bound as `expected` (and is now
   * gone); false otherwise (unknown, used, expired, another purpose, user or mfaToken).
   */
  async consume(challenge: string, expected: ChallengeBinding, now: Date): Promise<boolean> {
    const values: Record<string, unknown> = { ':now': epochSeconds(now), ':purpose': expected.purpose };
    let condition = 'attribute_exists(pk) AND expiresAt > :now AND purpose = :purpose';
    if (expected.userId !== undefined) {
      condition += ' AND userId = :userId';
      values[':userId'] = expected.userId;
    }
    if (expected.mfaTokenHash !== undefined) {
      condition += ' AND mfaTokenHash = :mfa';
      values[':mfa'] = expected.mfaTokenHash;
    }
    try {
      await this.doc.send(
        new DeleteCommand({ TableName: this.table, Key: { pk: webauthnChallengeKey(challenge) }, ConditionExpression: condition, ExpressionAttributeValues: values }),
      );
      return true;
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') return false;
      return dynamo(() => Promise.reject(err));
    }
  }
}
