import type { Clock } from '../clock';
import type { MailQueueStatus } from '../mail/mail-queue';

/** How stale the queue gauges may be; Prometheus scrapes every 15 s or so. */
export const QUEUE_STATUS_MAX_AGE_MS = 5000;

/**
 * The queue's status for the gauges, read from the database at most once per
 * QUEUE_STATUS_MAX_AGE_MS and by one read at a time, which every scrape in the
 * meantime shares: however many scrape, and however often, the database
 * answers one query every few seconds. A failed read (`undefined`) is kept as
 * long, so a database in trouble is not asked again by every scrape.
 */
export class SharedQueueStatus {
  private latest?: { readAt: number; status: MailQueueStatus | undefined };
  private reading?: Promise<MailQueueStatus | undefined>;

  constructor(
    private readonly read: () => Promise<MailQueueStatus>,
    private readonly clock: Clock,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  current(): Promise<MailQueueStatus | undefined> {
    if (
      this.latest &&
      this.clock.now() - this.latest.readAt < QUEUE_STATUS_MAX_AGE_MS
    )
      return Promise.resolve(this.latest.status);
    this.reading ??= this.readOnce().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readOnce(): Promise<MailQueueStatus | undefined> {
    const readAt = this.clock.now();
    let status: MailQueueStatus | undefined;
    try {
      status = await this.read();
    } catch (error) {
      this.onFailure(error);
    }
    this.latest = { readAt, status };
    return status;
  }
}
