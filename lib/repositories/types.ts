import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

/** One item of a document-client transaction, so repositories can compose writes. */
export type TransactWriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
