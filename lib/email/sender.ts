/**
 * Sends email through Amazon SES v2. Locally the same client talks to the `aws-ses-v2-local`
 * emulator (SES_PORT / SES_ENDPOINT), so the code path is the production one.
 *
 * Failures surface as {@link EmailNotSent}; each use case decides what a failed send means
 * (registration still succeeds, forgot-password still answers 202, resend answers 503).
 * Addresses and message ids are logged by the caller; message bodies (which hold tokens) never.
 */
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { EmailContent } from './templates';

export interface OutgoingEmail extends EmailContent {
  to: string;
}

export interface EmailSender {
  /** Resolves with the provider's message id. */
  send(email: OutgoingEmail): Promise<string | undefined>;
}

export class EmailNotSent extends Error {
  constructor(cause: unknown) {
    super('the email could not be sent', { cause });
    this.name = 'EmailNotSent';
  }
}

export interface SesSettings {
  from: string;
  /** Emulator endpoint; undefined on AWS. */
  endpoint?: string | undefined;
  region?: string | undefined;
}

export function createSesClient(settings: SesSettings): SESv2Client {
  const region = settings.region ?? process.env.AWS_REGION ?? 'us-east-1';
  // Short timeouts: a stuck send must not hold a request until the Lambda timeout.
  const requestHandler = { connectionTimeout: 2000, requestTimeout: 4000 };
  return new SESv2Client(
    settings.endpoint
      ? { region, endpoint: settings.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, requestHandler, maxAttempts: 2 }
      : { region, requestHandler, maxAttempts: 2 },
  );
}

export class SesEmailSender implements EmailSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
  ) {}

  async send(email: OutgoingEmail): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.from,
          Destination: { ToAddresses: [email.to] },
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
            },
          },
        }),
      );
      return out.MessageId;
    } catch (err) {
      throw new EmailNotSent(err);
    }
  }
}
