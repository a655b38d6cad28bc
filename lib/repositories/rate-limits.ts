import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds } from '../clock';
import { dynamo } from './dynamo';

/**
 * Fixed-window request counters (e.g. logins per source IP per minute) in the users table, so
 * the limit holds across Lambda containers. One atomic ADD per request; items expire by TTL.
 */
export class RateLimitRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Counts one hit in the current window; returns the count including it and the window end. */
  async hit(bucket: string, windowSeconds: number, now: Date): Promise<{ count: number; windowEndsAt: number }> {
    const nowSeconds = epochSeconds(now);
    const windowStart = nowSeconds - (nowSeconds % windowSeconds);
    const windowEndsAt = windowStart + windowSeconds;
    const out = await dynamo(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `RATE#${bucket}#${windowStart}` },
          UpdateExpression: 'ADD hits :one SET expiresAt = :expiresAt',
          ExpressionAttributeValues: { ':one': 1, ':expiresAt': windowEndsAt + 60 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return { count: Number(out.Attributes?.hits ?? 1), windowEndsAt };
  }
}
