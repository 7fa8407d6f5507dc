import type { TransportType } from '@nestjs-modules/mailer';

/**
 * Nodemailer waits minutes for a silent server by default; these bound each
 * stage of a session, so that a stalled server delays a mail's retry rather
 * than holding a delivery for ten minutes. A host's own values win.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** The transport the module sends through: an SMTP URL or options get bounded waits; a transport object is used as it is. */
export function boundedTransport(transport: TransportType): TransportType {
  if (typeof transport === 'string') return { url: transport, ...SMTP_TIMEOUTS };
  if ('send' in transport && typeof transport.send === 'function') return transport;
  return { ...SMTP_TIMEOUTS, ...transport };
}
