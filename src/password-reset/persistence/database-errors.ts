import { QueryFailedError, TypeORMError } from 'typeorm';

interface DriverError {
  /** PostgreSQL's SQLSTATE, or SQLite's result code name. */
  code?: string;
  /** MariaDB's and MySQL's SQLSTATE: an error the server sent. */
  sqlState?: string;
  /** Node's socket errors: refused, timed out, reset, name not found (mysql2 reports its connect timeout so too). */
  syscall?: string;
  /** pg: an error the server sent, such as too many clients. */
  severity?: string;
  /** mysql2: the connection is lost. */
  fatal?: boolean;
}

/**
 * Whether the database refused a statement for the data in it (too long, badly
 * encoded, a constraint) rather than failing to run it: SQLSTATE classes 22
 * (data exception) and 23 (integrity constraint), and SQLite's equivalents.
 */
export function isRefusedData(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const { code, sqlState } = error.driverError as DriverError;
  const state = sqlState ?? code ?? '';
  return (
    /^2[23]/.test(state) || /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH)/.test(state)
  );
}

/** pg and pg-pool say these in plain Errors: no connection could be made, or none came free in time. */
const PG_CONNECTION_FAILURE =
  /^(timeout exceeded when trying to connect|Connection terminated)/;

/**
 * Whether an error means that the database could not be used just now. A
 * statement that failed or timed out reaches here wrapped by TypeORM (in a
 * TypeORMError, as do TypeORM's own errors); a connection that could not be
 * had reaches here as the driver threw it.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof TypeORMError) return true;
  if (!(error instanceof Error)) return false;
  const { syscall, severity, sqlState, fatal } = error as DriverError;
  return (
    syscall !== undefined ||
    severity !== undefined ||
    sqlState !== undefined ||
    fatal === true ||
    PG_CONNECTION_FAILURE.test(error.message)
  );
}
