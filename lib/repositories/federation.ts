/**
 * The short-lived state of federated sign-ins, in the users table (lib/usecases/federation.ts):
 *
 *   OAUTH_FLOW#<sha256 of state>  an authorization request on its way to a provider
 *     { provider, codeVerifier, nonce, redirectUri, browser (sha256 of the flow cookie),
 *       linkUserId?, linkSessionId?, expiresAt } (TTL, 10 minutes)
 *   OAUTH_CODE#<sha256 of code>   the one-time code the callback hands to the app
 *     { userId, epoch, provider, expiresAt } (TTL, 60 seconds)
 *
 * Only hashes of `state` and of the code are keys: both travel in URLs (and so in logs and
 * browser history), and neither is worth anything once consumed. Both are single use: consuming
 * deletes the item and returns it, so of any number of racing requests exactly one gets it.
 * Expired items may linger (TTL deletion lags), so consuming checks `expiresAt` itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamo, errorName } from './dynamo';

export const FLOW_TTL_SECONDS = 600;
export const CODE_TTL_SECONDS = 60;

export interface FlowRecord {
  provider: string;
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
  /** Hash of the flow cookie set on the browser that started the flow. */
  browser: string;
  /** A flow started from the account settings to link an identity to this user. */
  linkUserId?: string | undefined;
  linkSessionId?: string | undefined;
}

export interface CodeRecord {
  userId: string;
  /** The user's credential epoch when the callback judged it: a change since makes the code useless. */
  epoch: number;
  provider: string;
}

const digest = (kind: string, value: string) => createHash('sha256').update(`${kind}\0${value}`).digest('base64url');
export const flowKey = (state: string) => `OAUTH_FLOW#${digest('oauth flow', state)}`;
export const codeKey = (code: string) => `OAUTH_CODE#${digest('oauth code', code)}`;
export const browserBinding = (cookie: string) => digest('oauth browser', cookie);

/** 256 random bits, base64url: states, codes and flow cookies alike. */
export const newSecret = () => randomBytes(32).toString('base64url');
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;
export const isSecretShape = (value: unknown): value is string => typeof value === 'string' && SECRET_SHAPE.test(value);

export class FederationRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async putFlow(state: string, flow: FlowRecord, now: Date): Promise<void> {
    const expiresAt = Math.floor(now.getTime() / 1000) + FLOW_TTL_SECONDS;
    await dynamo(() => this.doc.send(new PutCommand({ TableName: this.table, Item: { pk: flowKey(state), ...flow, expiresAt } })));
  }

  /** Consumes a flow: it is deleted whatever comes next, and returned when it was live. */
  async consumeFlow(state: string, now: Date): Promise<FlowRecord | undefined> {
    const item = await this.consume(flowKey(state), now);
    if (!item || typeof item.codeVerifier !== 'string' || typeof item.nonce !== 'string') return undefined;
    return {
      provider: String(item.provider),
      codeVerifier: item.codeVerifier,
      nonce: item.nonce,
      redirectUri: String(item.redirectUri),
      browser: String(item.browser),
      linkUserId: typeof item.linkUserId === 'string' ? item.linkUserId : undefined,
      linkSessionId: typeof item.linkSessionId === 'string' ? item.linkSessionId : undefined,
    };
  }

  async putCode(code: string, record: CodeRecord, now: Date): Promise<void> {
    const expiresAt = Math.floor(now.getTime() / 1000) + CODE_TTL_SECONDS;
    await dynamo(() => this.doc.send(new PutCommand({ TableName: this.table, Item: { pk: codeKey(code), ...record, expiresAt } })));
  }

  async consumeCode(code: string, now: Date): Promise<CodeRecord | undefined> {
    const item = await this.consume(codeKey(code), now);
    if (!item || typeof item.userId !== 'string' || typeof item.epoch !== 'number') return undefined;
    return { userId: item.userId, epoch: item.epoch, provider: String(item.provider) };
  }

  /** Deletes `pk` if it is there and unexpired, returning what it held (one winner among racers). */
  private async consume(pk: string, now: Date): Promise<Record<string, unknown> | undefined> {
    try {
      const out = await dynamo(() =>
        this.doc.send(new DeleteCommand({
          TableName: this.table,
          Key: { pk },
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
          ReturnValues: 'ALL_OLD',
        })),
      );
      return out.Attributes;
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException' || errorName((err as { cause?: unknown }).cause) === 'ConditionalCheckFailedException') return undefined;
      throw err;
    }
  }
}
