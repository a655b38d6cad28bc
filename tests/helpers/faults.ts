import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Makes the real (DynamoDB Local) client fail chosen commands, to test how operations behave
 * when DynamoDB does. Added at the initialize step, i.e. above the SDK's retry middleware: an
 * injected error reaches our code as if retries had been exhausted.
 */
export function injectFault(
  doc: DynamoDBDocumentClient,
  options: { command: string; error: () => Error; skip?: number; times?: number },
): { seen: () => number; remove: () => void } {
  let seen = 0;
  let thrown = 0;
  const name = `fault-${Math.random().toString(36).slice(2)}`;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === options.command) {
        seen += 1;
        if (seen > (options.skip ?? 0) && thrown < (options.times ?? 1)) {
          thrown += 1;
          throw options.error();
        }
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { seen: () => seen, remove: () => doc.middlewareStack.remove(name) };
}

export const throttling = () => Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException', $metadata: {} });
export const timeout = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
export const transactionCanceled = (codes: string[]) =>
  Object.assign(new Error('Transaction cancelled'), {
    name: 'TransactionCanceledException',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
