import { EntitySubscriberInterface, EventSubscriber } from 'typeorm';

/** How pg (`query_timeout`) and mysql2 (a query's `timeout`) say that the client stopped waiting. */
function isClientSideTimeout(error: unknown): boolean {
  const { message, code } = (error ?? {}) as {
    message?: unknown;
    code?: unknown;
  };
  return (
    message === 'Query read timeout' || code === 'PROTOCOL_SEQUENCE_TIMEOUT'
  );
}

/** The driver's connection under a query runner: a pg `Client` or a mysql2 `PoolConnection`. */
interface DriverConnection {
  destroy?: () => void;
  end?: () => Promise<void>;
}

/**
 * The part of TypeORM's `AfterQueryEvent` read here, stated locally: that type
 * needs a type argument in TypeORM 0.3 and is not exported at all by 0.3.20,
 * so naming it would break a host's compile with `skipLibCheck: false`.
 */
interface FinishedQuery {
  success: boolean;
  error?: unknown;
  queryRunner: object;
}

/**
 * After a client-side query timeout both drivers keep the connection, still
 * waiting for the answer, and hand it back to the pool: pg then fails every
 * later query on it the same way (brianc/node-postgres#3399), mysql2 queues
 * them behind the lost one with no timer running, for ever. Closing it makes
 * the pool open a fresh connection next time, so the server recovers once the
 * database answers again.
 */
@EventSubscriber()
export class DropTimedOutConnections implements EntitySubscriberInterface {
  afterQuery(event: FinishedQuery): void {
    if (event.success || !isClientSideTimeout(event.error)) return;
    // Not in QueryRunner's interface, but every driver's runner has it.
    const connection = (
      event.queryRunner as unknown as { databaseConnection?: DriverConnection }
    ).databaseConnection;
    if (connection?.destroy)
      connection.destroy(); // mysql2: leaves the pool at once
    else void connection?.end?.().catch(() => undefined); // pg: with a query outstanding, drops the socket; the pool discards an ended client
  }
}
