/** Raised when an attempt outlives its deadline; what the server did with the mail is unknown. */
export class DeliveryDeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no answer from the mail transport within ${ms} ms`);
  }
}

interface TransportError {
  code?: string;
  timeoutType?: string;
}

/**
 * Whether a failed attempt may still have put the mail in the recipient's
 * hands. Nodemailer cannot say how far a session got, so every failure that
 * can happen after the message was handed over counts: a connection that went
 * silent or closed mid-session, or no answer by our own deadline. A refused
 * connection, a server that never greeted and a server's own "no" (any reply
 * code) certainly delivered nothing.
 */
export function mayHaveBeenDelivered(error: unknown): boolean {
  if (error instanceof DeliveryDeadlineExceeded) return true;
  const { code, timeoutType } = (error ?? {}) as TransportError;
  return timeoutType === 'SOCKET_TIMEOUT' || code === 'ECONNECTION' || (code === 'ESOCKET' && (error as { syscall?: string }).syscall !== 'connect');
}

export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new DeliveryDeadlineExceeded(ms)), ms)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
