/** Raised when an attempt outlives its deadline; what the server did with the mail is unknown. */
export class DeliveryDeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no answer from the mail transport within ${ms} ms`);
  }
}

/**
 * A failed SMTP attempt of the module's own connection pool, which knows
 * whether the server had started to receive the message.
 */
export class SmtpAttemptFailed extends Error {
  constructor(
    readonly cause: Error,
    readonly messageHandedOver: boolean,
  ) {
    super(cause.message);
  }
}

interface TransportError {
  code?: string;
  timeoutType?: string;
}

/**
 * Whether a failed attempt may still have put the mail in the recipient's
 * hands: no answer by our own deadline, or the module's SMTP pool saw the
 * message start to go out. A host's own transport cannot say how far a
 * session got, so every failure that can happen after the message was handed
 * over counts there: a connection that went silent or closed mid-session. A
 * refused connection, a server that never greeted and a server's own "no"
 * (any reply code) certainly delivered nothing.
 */
export function mayHaveBeenDelivered(error: unknown): boolean {
  if (error instanceof DeliveryDeadlineExceeded) return true;
  if (error instanceof SmtpAttemptFailed) return error.messageHandedOver;
  const { code, timeoutType } = (error ?? {}) as TransportError;
  return (
    timeoutType === 'SOCKET_TIMEOUT' ||
    code === 'ECONNECTION' ||
    (code === 'ESOCKET' &&
      (error as { syscall?: string }).syscall !== 'connect')
  );
}

export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>(
    (_, reject) =>
      (timer = setTimeout(() => reject(new DeliveryDeadlineExceeded(ms)), ms)),
  );
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
