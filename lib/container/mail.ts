import { createSesClient, SesEmailSender, type EmailSender } from '../email/sender';
import { containerConfig } from './config';

let sender: EmailSender | undefined;

/** The SES v2 sender (the local emulator under `npm start` and the tests), once per container. */
export function sesSender(): EmailSender {
  if (!sender) {
    const config = containerConfig();
    sender = new SesEmailSender(createSesClient({ from: config.emailFrom, endpoint: config.sesEndpoint }), config.emailFrom);
  }
  return sender;
}
