import { Logger } from '@nestjs/common';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MailQueueStatus } from '../mail/mail-queue';
import type { OutboxMailKind } from '../mail/outbox-mail.entity';

type MailOutcome = 'sent' | 'failed' | 'unconfirmed' | 'dead';

interface Instruments {
  registry: Registry;
  requestsAccepted: Counter;
  requestsRefused: Counter<'status'>;
  resets: Counter;
  resetsRefused: Counter<'code'>;
  mails: Record<MailOutcome, Counter<'kind'>>;
  deliverySeconds: Histogram<'kind'>;
  queueMails: Gauge<'kind' | 'status'>;
  queueOldestSeconds: Gauge<'kind'>;
  requestsWaiting: Gauge;
  oldestRequestSeconds: Gauge;
}

/** Queued to delivered, in seconds: a healthy queue stays in the first buckets, retries land in the last. */
const DELIVERY_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600];

/**
 * The module's counters, in Prometheus' terms. Without `metrics` in the
 * options it counts nothing and prom-client is never loaded. Labels name
 * statuses, refusal codes and kinds of mail only, never a user, an identifier
 * or a token. Counters are this process's; the queue gauges are the shared
 * queue's, the same on every instance.
 */
export class PasswordResetMetrics {
  private readonly logger = new Logger('PasswordResetMetrics');

  private constructor(
    private readonly instruments?: Instruments,
    private readonly queueStatus?: () => Promise<MailQueueStatus>,
  ) {}

  static off(): PasswordResetMetrics {
    return new PasswordResetMetrics();
  }

  static prometheus(queueStatus: () => Promise<MailQueueStatus>): PasswordResetMetrics {
    // Loaded here, not at the top: a host that leaves metrics off need not install prom-client.
    const { Counter, Gauge, Histogram, Registry } = require('prom-client') as typeof import('prom-client');
    const registry = new Registry();
    const registers = [registry];
    const mailCounter = (outcome: string, help: string) => new Counter({ name: `password_reset_mails_${outcome}_total`, help, labelNames: ['kind'], registers });
    return new PasswordResetMetrics(
      {
        registry,
        requestsAccepted: new Counter({ name: 'password_reset_requests_accepted_total', help: 'lostPassword requests answered 200 (recorded)', registers }),
        requestsRefused: new Counter({ name: 'password_reset_requests_refused_total', help: 'lostPassword requests refused, by HTTP status', labelNames: ['status'], registers }),
        resets: new Counter({ name: 'password_reset_resets_total', help: 'passwords replaced through a reset link', registers }),
        resetsRefused: new Counter({ name: 'password_reset_resets_refused_total', help: 'resetPassword requests refused, by error code', labelNames: ['code'], registers }),
        mails: {
          sent: mailCounter('sent', 'mails the transport accepted'),
          failed: mailCounter('failed', 'delivery attempts that certainly delivered nothing (retried, or dead)'),
          unconfirmed: mailCounter('unconfirmed', 'delivery attempts that may have delivered the mail, not sent again'),
          dead: mailCounter('dead', 'mails given up after the last attempt'),
        },
        deliverySeconds: new Histogram({ name: 'password_reset_mail_delivery_seconds', help: 'from queued to accepted by the transport', labelNames: ['kind'], buckets: DELIVERY_BUCKETS, registers }),
        queueMails: new Gauge({ name: 'password_reset_queue_mails', help: 'mails in the queue by status (sent: in the last hour)', labelNames: ['kind', 'status'], registers }),
        queueOldestSeconds: new Gauge({ name: 'password_reset_queue_oldest_pending_seconds', help: 'age of the oldest mail not yet delivered', labelNames: ['kind'], registers }),
        requestsWaiting: new Gauge({ name: 'password_reset_queue_requests', help: 'requests recorded and not yet processed', registers }),
        oldestRequestSeconds: new Gauge({ name: 'password_reset_queue_oldest_request_seconds', help: 'age of the oldest request not yet processed', registers }),
      },
      queueStatus,
    );
  }

  get enabled(): boolean {
    return this.instruments !== undefined;
  }

  lostPasswordAnswered(status: number): void {
    if (status === 200) this.instruments?.requestsAccepted.inc();
    else this.instruments?.requestsRefused.inc({ status: String(status) });
  }

  resetPasswordAnswered(status: number, code: string | undefined): void {
    if (status === 200) this.instruments?.resets.inc();
    else this.instruments?.resetsRefused.inc({ code: code ?? String(status) });
  }

  mailAttempted(kind: OutboxMailKind, outcome: MailOutcome, queuedAt: number, now: number): void {
    this.instruments?.mails[outcome].inc({ kind });
    if (outcome === 'sent') this.instruments?.deliverySeconds.observe({ kind }, (now - queuedAt) / 1000);
  }

  /** The text Prometheus scrapes. A database that does not answer leaves the queue gauges out, not the counters. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    const instruments = this.instruments!;
    const gauges = [instruments.queueMails, instruments.queueOldestSeconds, instruments.requestsWaiting, instruments.oldestRequestSeconds];
    gauges.forEach((gauge) => gauge.reset());
    try {
      const status = await this.queueStatus!();
      instruments.requestsWaiting.set(status.requestsWaiting);
      if (status.oldestRequestAgeSeconds !== null) instruments.oldestRequestSeconds.set(status.oldestRequestAgeSeconds);
      for (const kind of status.kinds) {
        for (const [name, count] of [['pending', kind.pending], ['sending', kind.sending], ['sent', kind.sentLastHour], ['unconfirmed', kind.unconfirmedLastHour], ['dead', kind.dead]] as const) {
          instruments.queueMails.set({ kind: kind.kind, status: name }, count);
        }
        if (kind.oldestPendingAgeSeconds !== null) instruments.queueOldestSeconds.set({ kind: kind.kind }, kind.oldestPendingAgeSeconds);
      }
    } catch (error) {
      this.logger.warn(`Queue gauges left out: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { contentType: instruments.registry.contentType, text: await instruments.registry.metrics() };
  }
}
