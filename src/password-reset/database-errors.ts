import { QueryFailedError } from 'typeorm';

interface DriverError {
  /** PostgreSQL's SQLSTATE, or SQLite's result code name. */
  code?: string;
  /** MariaDB's and MySQL's SQLSTATE. */
  sqlState?: string;
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
  return /^2[23]/.test(state) || /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH)/.test(state);
}
