import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { serviceUnavailable } from '../errors';

export interface DynamoSettings {
  endpoint?: string | undefined;
  region?: string | undefined;
}

/**
 * One document client per container. Against DynamoDB Local (an explicit endpoint) static dummy
 * credentials skip the SDK's credential-provider chain, which would otherwise probe the
 * environment, files and the metadata service.
 */
export function createDocumentClient(settings: DynamoSettings = {}): DynamoDBDocumentClient {
  const region = settings.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const client = new DynamoDBClient(
    settings.endpoint
      ? { region, endpoint: settings.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : { region },
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function errorName(err: unknown): string | undefined {
  return err && typeof err === 'object' && 'name' in err ? String(err.name) : undefined;
}

/** Per-item cancellation codes of a TransactionCanceledException ("None" for items that passed). */
export function cancellationCodes(err: unknown): string[] {
  if (errorName(err) !== 'TransactionCanceledException') return [];
  const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}

/**
 * Runs one DynamoDB call; anything the caller did not handle itself becomes 503
 * `service_unavailable`, with the SDK error kept as the (logged, never sent) cause.
 */
export async function dynamo<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw serviceUnavailable(err);
  }
}
