/**
 * The four steps of a Secrets Manager rotation of the signing key set, as the rotation function
 * (functions/rotate-keys.ts) and the emergency CLI (scripts/keys-rotate.ts) run them:
 *
 *   createSecret  the next version of the key set, stored as AWSPENDING under the rotation's
 *                 ClientRequestToken. Idempotent: a retried step finds that version and stops,
 *                 so a retry never generates a second, different set.
 *   setSecret     publishes the pending set's public keys in the public key set secret (read by
 *                 the authorizer and JWKS functions) before any signer can use them. Idempotent
 *                 on the same token.
 *   testSecret    checks the pending set: it parses, its current key signs a token that its own
 *                 public key verifies, it keeps every key live tokens may be signed with, and the
 *                 public secret already publishes every key it holds.
 *   finishSecret  moves AWSCURRENT to the pending version (a no-op when it is there already).
 *
 * A step that fails throws; Secrets Manager records the failure and AWSCURRENT stays untouched.
 * A new stack's secret starts as `{}`: the first rotation (on creation) writes a fresh key set.
 */
import { systemClock, type Clock } from '../clock';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { importJWK, jwtVerify, SignJWT } from 'jose';
import { log } from '../log';
import { parseKeySet, parseVerificationKeys, publicJwkOf, toPublicKeySet, type KeySetDocument } from './key-set';
import { bootstrapKeySet, emergencyRotation, scheduledRotation, type RotationPolicy } from './rotation';
import { previousKeyRetentionSeconds } from './rotation-policy';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
export const ROTATION_STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

export interface RotationEvent {
  Step: RotationStep;
  SecretId: string;
  ClientRequestToken: string;
}

export interface RotationContext {
  client: SecretsManagerClient;
  policy: RotationPolicy;
  /** The public key set secret to keep in step (optional: without it verifiers read the full set). */
  publicSecretId?: string | undefined;
  clock?: Clock;
  /** `emergency` replaces every key at once (a leaked secret); only the CLI asks for it. */
  mode?: 'scheduled' | 'emergency';
  /**
   * Secrets Manager's own rotation stages the token before calling us; the CLI runs the steps
   * itself, outside a rotation, so it skips those checks.
   */
  outsideRotation?: boolean;
}

export class RotationError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'RotationError';
  }
}

/** `{}`: the placeholder a new stack creates the secret with, before its first rotation. */
function isPlaceholder(raw: string | undefined): boolean {
  if (raw === undefined) return false;
  try {
    const doc = JSON.parse(raw) as unknown;
    return !!doc && typeof doc === 'object' && !Array.isArray(doc) && Object.keys(doc).length === 0;
  } catch {
    return false;
  }
}

function isNotFound(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { name?: string }).name === 'ResourceNotFoundException';
}

async function secretString(ctx: RotationContext, secretId: string, selector: { VersionId?: string; VersionStage?: string }) {
  const out = await ctx.client.send(new GetSecretValueCommand({ SecretId: secretId, ...selector }));
  if (typeof out.SecretString !== 'string') throw new RotationError(`secret version has no SecretString`);
  return out.SecretString;
}

async function versionStages(ctx: RotationContext, secretId: string): Promise<Record<string, string[]>> {
  const described = await ctx.client.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (!ctx.outsideRotation && described.RotationEnabled === false) {
    throw new RotationError('rotation is not enabled on this secret');
  }
  return described.VersionIdsToStages ?? {};
}

async function createSecret(ctx: RotationContext, event: RotationEvent, now: Date): Promise<void> {
  try {
    await secretString(ctx, event.SecretId, { VersionId: event.ClientRequestToken, VersionStage: 'AWSPENDING' });
    log.info('key rotation: pending version exists already', { event: 'key_rotation', step: 'createSecret' });
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const raw = await secretString(ctx, event.SecretId, { VersionStage: 'AWSCURRENT' });
  let next: KeySetDocument;
  let outcome: string;
  if (isPlaceholder(raw)) {
    next = await bootstrapKeySet(ctx.policy.alg, now);
    outcome = 'bootstrapped';
  } else if (ctx.mode === 'emergency') {
    // Every signing and HMAC key is replaced; only the data keys are carried over (as previous).
    next = await emergencyRotation(ctx.policy.alg, now, parseKeySet(raw, ctx.policy.alg));
    outcome = 'emergency';
  } else {
    ({ doc: next, outcome } = await scheduledRotation(parseKeySet(raw, ctx.policy.alg), now, ctx.policy));
  }
  await ctx.client.send(
    new PutSecretValueCommand({
      SecretId: event.SecretId,
      ClientRequestToken: event.ClientRequestToken,
      SecretString: JSON.stringify(next),
      VersionStages: ['AWSPENDING'],
    }),
  );
  log.info('key rotation: pending version created', {
    event: 'key_rotation',
    step: 'createSecret',
    outcome,
    kids: next.keys.map((k) => `${k.kid}:${k.status}`),
  });
}

async function pendingSet(ctx: RotationContext, event: RotationEvent): Promise<KeySetDocument> {
  return parseKeySet(await secretString(ctx, event.SecretId, { VersionId: event.ClientRequestToken, VersionStage: 'AWSPENDING' }), ctx.policy.alg);
}

async function setSecret(ctx: RotationContext, event: RotationEvent): Promise<void> {
  if (!ctx.publicSecretId) return;
  const pending = await pendingSet(ctx, event);
  // The same ClientRequestToken makes a retried step a no-op rather than a second version.
  await ctx.client.send(
    new PutSecretValueCommand({
      SecretId: ctx.publicSecretId,
      ClientRequestToken: event.ClientRequestToken,
      SecretString: JSON.stringify(toPublicKeySet(pending)),
    }),
  );
  log.info('key rotation: public keys published', { event: 'key_rotation', step: 'setSecret' });
}

async function testSecret(ctx: RotationContext, event: RotationEvent, now: Date): Promise<void> {
  const pending = await pendingSet(ctx, event);
  const current = pending.keys.find((k) => k.status === 'current' && k.alg === ctx.policy.alg)!;
  const probe = await new SignJWT({ probe: true })
    .setProtectedHeader({ alg: current.alg, kid: current.kid })
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(await importJWK({ ...current.privateJwk, alg: current.alg }, current.alg));
  await jwtVerify(probe, await importJWK(publicJwkOf(current), current.alg), { algorithms: [current.alg] }).catch((err) => {
    throw new RotationError('the pending current key does not verify its own signature', { cause: err });
  });

  const before = await secretString(ctx, event.SecretId, { VersionStage: 'AWSCURRENT' });
  if (!isPlaceholder(before)) {
    // Whatever the mode, no data key that may have sealed something goes (lib/keys/key-set.ts).
    const kept = new Set((pending.dataKeys ?? []).map((k) => k.key));
    const dropped = (parseKeySet(before, ctx.policy.alg).dataKeys ?? []).filter((k) => k.status !== 'next' && !kept.has(k.key));
    if (dropped.length > 0) throw new RotationError(`the pending key set drops ${dropped.length} data key(s) that secrets may be sealed under`);
  }

  if (ctx.mode !== 'emergency') {
    // Every key that may have signed a live token must still be there to verify it.
    if (!isPlaceholder(before)) {
      const retention = previousKeyRetentionSeconds(ctx.policy.accessTokenTtlSeconds) * 1000;
      const kept = new Set(pending.keys.map((k) => k.kid));
      const live = parseKeySet(before, ctx.policy.alg).keys.filter(
        (k) => k.status === 'current' || (k.status === 'previous' && (!k.retiredAt || now.getTime() - Date.parse(k.retiredAt) < retention)),
      );
      const missing = live.filter((k) => !kept.has(k.kid)).map((k) => k.kid);
      if (missing.length > 0) throw new RotationError(`the pending key set drops keys live tokens need: ${missing.join(', ')}`);
    }
  }

  if (ctx.publicSecretId) {
    const published = new Set(parseVerificationKeys(await secretString(ctx, ctx.publicSecretId, { VersionStage: 'AWSCURRENT' }), ctx.policy.alg).map((k) => k.kid));
    const unpublished = pending.keys.filter((k) => !published.has(k.kid)).map((k) => k.kid);
    if (unpublished.length > 0) throw new RotationError(`the public key set does not publish ${unpublished.join(', ')} yet`);
  }
  log.info('key rotation: pending version tested', { event: 'key_rotation', step: 'testSecret' });
}

async function finishSecret(ctx: RotationContext, event: RotationEvent, stages: Record<string, string[]>): Promise<void> {
  const currentVersion = Object.entries(stages).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
  if (currentVersion === event.ClientRequestToken) return;
  await ctx.client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: event.SecretId,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: event.ClientRequestToken,
      ...(currentVersion ? { RemoveFromVersionId: currentVersion } : {}),
    }),
  );
  if (ctx.outsideRotation) {
    // Secrets Manager clears AWSPENDING after a rotation it ran; run by hand, we do, or its next
    // scheduled rotation would take the label for an unfinished one.
    await ctx.client.send(
      new UpdateSecretVersionStageCommand({ SecretId: event.SecretId, VersionStage: 'AWSPENDING', RemoveFromVersionId: event.ClientRequestToken }),
    );
  }
  log.info('key rotation: finished', { event: 'key_rotation', step: 'finishSecret', version: event.ClientRequestToken });
}

/** Runs one rotation step. */
export async function runRotationStep(ctx: RotationContext, event: RotationEvent): Promise<void> {
  if (!ROTATION_STEPS.includes(event.Step)) throw new RotationError(`unknown rotation step ${String(event.Step)}`);
  const now = (ctx.clock ?? systemClock)();
  const stages = await versionStages(ctx, event.SecretId);
  if (!ctx.outsideRotation) {
    const mine = stages[event.ClientRequestToken];
    if (!mine) throw new RotationError(`version ${event.ClientRequestToken} is not staged for rotation`);
    if (mine.includes('AWSCURRENT')) {
      log.info('key rotation: version is current already', { event: 'key_rotation', step: event.Step });
      return;
    }
    if (!mine.includes('AWSPENDING')) throw new RotationError(`version ${event.ClientRequestToken} is not AWSPENDING`);
  }
  if (event.Step === 'createSecret') return createSecret(ctx, event, now);
  if (event.Step === 'setSecret') return setSecret(ctx, event);
  if (event.Step === 'testSecret') return testSecret(ctx, event, now);
  return finishSecret(ctx, event, stages);
}

/** The four steps in order, with one token: what the emergency CLI does. */
export async function rotateNow(ctx: RotationContext, secretId: string, token: string): Promise<void> {
  for (const Step of ROTATION_STEPS) await runRotationStep(ctx, { Step, SecretId: secretId, ClientRequestToken: token });
}
