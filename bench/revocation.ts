/**
 * How the authorizer learns about revocations: the design it ships (a per-session GetItem, state
 * cached per container) against the alternative of a per-container revocation feed (a Query on a
 * sparse index of recently revoked sessions, polled every few seconds, everything else "live").
 *
 * Both run the same simulated traffic against DynamoDB Local: 1,000 authorizations spread evenly
 * over 100 sessions and 10 s (one container), with one session revoked every second. Time is a
 * simulated clock, so the run takes well under 10 real seconds; requests and read units are real
 * (ReturnConsumedCapacity; the GetItem design's units come from the same GetItem issued once with
 * ReturnConsumedCapacity, since its reader is the production signed fetch).
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SessionCheck } from '../lib/revocation/session-check';
import { SignedFetchSessionReader, type SessionReader } from '../lib/revocation/session-reader';
import { round } from './stats';

export interface RevocationDesignResult {
  design: string;
  dynamoRequestsPer1000: number;
  readUnitsPer1000: number;
  /** Extra write units per revocation the design needs (an index entry). */
  extraWriteUnitsPerRevocation: number;
  /** Longest simulated time from a revocation write to the first refusal of that session. */
  worstRefusalDelayMs: number;
  /** Staleness the design allows by construction, before the gateway cache and replica lag. */
  designBoundMs: number;
  /** Requests the first authorization of a new container makes. */
  coldContainerRequests: number;
  refusedAfterRevocation: number;
  allowedAfterRevocationBeyondBound: number;
}

const AUTHORIZATIONS = 1000;
const SESSIONS = 100;
const SPAN_MS = 10_000;
const LIVE_CACHE_MS = 3000;
const POLL_MS = 3000;
const TOKEN_LIFETIME_MS = 900_000;
const FEED = 'R';
const FEED_INDEX = 'byRevocation';

async function createTable(client: DynamoDBClient, table: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'feed', AttributeType: 'S' },
        { AttributeName: 'revokedAtMs', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: FEED_INDEX,
          KeySchema: [{ AttributeName: 'feed', KeyType: 'HASH' }, { AttributeName: 'revokedAtMs', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
}

interface Decider {
  decide(sid: string, userId: string, exp: number): Promise<boolean>;
  requests(): number;
  readUnits(): number;
}

/** The alternative: poll the sparse index of revoked sessions; unknown to it means live. */
class RevocationFeed implements Decider {
  private readonly revoked = new Set<string>();
  private lastPoll = Number.NEGATIVE_INFINITY;
  private newest = 0;
  private count = 0;
  private units = 0;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number,
  ) {}

  async decide(sid: string): Promise<boolean> {
    if (this.now() - this.lastPoll >= POLL_MS) await this.poll();
    return !this.revoked.has(sid);
  }

  private async poll(): Promise<void> {
    // A new container must first load every revocation that can still matter: a token lifetime.
    const since = Number.isFinite(this.lastPoll) ? this.newest : this.now() - TOKEN_LIFETIME_MS;
    this.lastPoll = this.now();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: FEED_INDEX,
          KeyConditionExpression: 'feed = :feed AND revokedAtMs > :since',
          ExpressionAttributeValues: { ':feed': FEED, ':since': since },
          ExclusiveStartKey: startKey,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.count += 1;
      this.units += page.ConsumedCapacity?.CapacityUnits ?? 0;
      for (const item of page.Items ?? []) {
        this.revoked.add(String(item.pk).slice('SESSION#'.length));
        this.newest = Math.max(this.newest, Number(item.revokedAtMs));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  requests = () => this.count;
  readUnits = () => this.units;
}

/** The shipped design, through the production SessionCheck and signed-fetch reader. */
class PerSessionRead implements Decider {
  private readonly check: SessionCheck;
  private count = 0;
  private consistent = 0;

  constructor(endpoint: string, table: string, now: () => number) {
    const reader = new SignedFetchSessionReader({ table, endpoint });
    const counting: SessionReader = {
      read: (sid, strongly) => {
        this.count += 1;
        if (strongly) this.consistent += 1;
        return reader.read(sid, strongly);
      },
    };
    this.check = new SessionCheck(counting, { liveCacheMs: LIVE_CACHE_MS, staleMs: 5000, clock: () => new Date(now()) });
  }

  async decide(sid: string, userId: string, exp: number): Promise<boolean> {
    return (await this.check.verdict(sid, userId, exp)) === 'live';
  }

  requests = () => this.count;
  /** Measured separately: 0.5 per eventually consistent GetItem of a session item, 1 strongly. */
  readUnits = () => 0;
  consistentReads = () => this.consistent;
}

export async function benchRevocationDesigns(endpoint: string): Promise<{ results: RevocationDesignResult[]; getItemUnits: number; revokeUnits: { plain: number; withFeed: number } }> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const doc = DynamoDBDocumentClient.from(client);
  const table = `lambda-jwt-auth-bench-revocation-${randomUUID().slice(0, 8)}`;
  await createTable(client, table);
  const base = Date.now();

  async function run(design: 'getitem' | 'feed'): Promise<RevocationDesignResult & { consistent?: number }> {
    let simulated = base;
    const now = () => simulated;
    const sessions = Array.from({ length: SESSIONS }, () => ({ sid: randomUUID(), userId: randomUUID() }));
    for (const s of sessions) {
      await doc.send(new PutCommand({ TableName: table, Item: { pk: `SESSION#${s.sid}`, userId: s.userId, expiresAt: Math.floor(base / 1000) + 86_400 } }));
    }
    const decider = design === 'feed' ? new RevocationFeed(doc, table, now) : new PerSessionRead(endpoint, table, now);
    const exp = Math.floor(base / 1000) + 900;
    const revokedAt = new Map<string, number>();
    const firstRefusal = new Map<string, number>();
    let nextRevocation = 0;
    let coldRequests = 0;
    let allowedBeyond = 0;
    const bound = design === 'feed' ? POLL_MS : LIVE_CACHE_MS;
    for (let i = 0; i < AUTHORIZATIONS; i += 1) {
      simulated = base + Math.floor((i * SPAN_MS) / AUTHORIZATIONS);
      // One revocation every second, at the half second, of a session that is in use.
      while (nextRevocation < 10 && simulated - base >= nextRevocation * 1000 + 500) {
        const target = sessions[nextRevocation * 7]!;
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: `SESSION#${target.sid}` },
            UpdateExpression: design === 'feed' ? 'SET revokedAt = :at, feed = :feed, revokedAtMs = :ms' : 'SET revokedAt = :at',
            ExpressionAttributeValues: design === 'feed' ? { ':at': new Date(simulated).toISOString(), ':feed': FEED, ':ms': simulated } : { ':at': new Date(simulated).toISOString() },
          }),
        );
        revokedAt.set(target.sid, simulated);
        nextRevocation += 1;
      }
      const s = sessions[i % SESSIONS]!;
      const allowed = await decider.decide(s.sid, s.userId, exp);
      if (i === 0) coldRequests = decider.requests();
      const at = revokedAt.get(s.sid);
      if (at !== undefined) {
        if (!allowed && !firstRefusal.has(s.sid)) firstRefusal.set(s.sid, simulated - at);
        if (allowed && simulated - at > bound) allowedBeyond += 1;
      }
    }
    const requests = decider.requests();
    return {
      design: design === 'feed' ? `revocation feed (Query every ${POLL_MS / 1000} s per container)` : `per-session GetItem, live cached ${LIVE_CACHE_MS / 1000} s (shipped)`,
      dynamoRequestsPer1000: round((requests * 1000) / AUTHORIZATIONS, 1),
      readUnitsPer1000: round((decider.readUnits() * 1000) / AUTHORIZATIONS, 2),
      extraWriteUnitsPerRevocation: design === 'feed' ? 1 : 0,
      worstRefusalDelayMs: Math.max(0, ...firstRefusal.values()),
      designBoundMs: bound,
      coldContainerRequests: coldRequests,
      refusedAfterRevocation: firstRefusal.size,
      allowedAfterRevocationBeyondBound: allowedBeyond,
      ...(decider instanceof PerSessionRead ? { consistent: decider.consistentReads() } : {}),
    };
  }

  try {
    // Read units of the shipped design's GetItem (a session item, eventually consistent), measured.
    const probe = randomUUID();
    await doc.send(new PutCommand({ TableName: table, Item: { pk: `SESSION#${probe}`, userId: 'u', expiresAt: 2e9, createdAt: new Date().toISOString(), lastUsedAt: new Date().toISOString(), userAgent: 'Mozilla/5.0 '.repeat(20), ip: '203.0.113.7' } }));
    const got = await doc.send(new GetCommand({ TableName: table, Key: { pk: `SESSION#${probe}` }, ProjectionExpression: 'userId, revokedAt, expiresAt', ReturnConsumedCapacity: 'TOTAL' }));
    const getItemUnits = got.ConsumedCapacity?.CapacityUnits ?? 0.5;
    const plain = await doc.send(new UpdateCommand({ TableName: table, Key: { pk: `SESSION#${probe}` }, UpdateExpression: 'SET revokedAt = :at', ExpressionAttributeValues: { ':at': 'x' }, ReturnConsumedCapacity: 'INDEXES' }));
    const withFeed = await doc.send(new UpdateCommand({ TableName: table, Key: { pk: `SESSION#${probe}` }, UpdateExpression: 'SET feed = :f, revokedAtMs = :ms', ExpressionAttributeValues: { ':f': FEED, ':ms': 1 }, ReturnConsumedCapacity: 'INDEXES' }));
    const getitem = await run('getitem');
    const feed = await run('feed');
    const consistent = getitem.consistent ?? 0;
    delete getitem.consistent;
    getitem.readUnitsPer1000 = round((((getitem.dynamoRequestsPer1000 * AUTHORIZATIONS) / 1000 - consistent) * getItemUnits + consistent * getItemUnits * 2) * (1000 / AUTHORIZATIONS), 2);
    return {
      results: [getitem, feed],
      getItemUnits,
      revokeUnits: { plain: plain.ConsumedCapacity?.CapacityUnits ?? 1, withFeed: (withFeed.ConsumedCapacity?.CapacityUnits ?? 1) + Object.keys(withFeed.ConsumedCapacity?.GlobalSecondaryIndexes ?? {}).length },
    };
  } finally {
    client.destroy();
  }
}
