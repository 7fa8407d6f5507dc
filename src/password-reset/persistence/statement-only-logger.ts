import { AdvancedConsoleLogger, QueryRunner } from 'typeorm';

/**
 * TypeORM logs every query slower than `maxQueryExecutionTime`, which for
 * MariaDB is also each query's timeout, whatever `logging` says, and with its
 * parameters: what clients typed, token and password hashes. This logger
 * leaves the parameters out.
 */
export class StatementOnlyLogger extends AdvancedConsoleLogger {
  override logQuerySlow(
    time: number,
    query: string,
    _parameters?: unknown[],
    queryRunner?: QueryRunner,
  ): void {
    super.logQuerySlow(time, query, undefined, queryRunner);
  }
}
