import type { DataSource } from 'typeorm';

/** How many recorded requests wait to be processed and queued mails to be delivered. */
export async function waitingWork(dataSource: DataSource): Promise<number> {
  const [{ waiting }] = await dataSource.query(
    `SELECT (SELECT COUNT(*) FROM password_reset_requests) + (SELECT COUNT(*) FROM password_reset_outbox WHERE status IN ('pending', 'sending')) AS waiting`,
  );
  return Number(waiting);
}

/** Resolves once no work waits: every request processed, every mail delivered or given up. */
export async function settled(dataSource: DataSource): Promise<void> {
  while ((await waitingWork(dataSource)) > 0)
    await new Promise((resolve) => setTimeout(resolve, 20));
}
