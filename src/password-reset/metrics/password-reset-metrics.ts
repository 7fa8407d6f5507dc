import { Logger } from '@nestjs/common';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../clock';
import type { MailQueueStatus } from '../mail/mail-queue';
import type { OutboxMailKind } from '../mail/outbox-mail.entity';
import { SharedQueueStatus } from './shared-queue-status';

type MailOutcome = 'sent' | 'failed' | 'unconfirmed' | 'dead';
/** Why a breached-password check let the password through: no connection or an error status, no answer in time, or an answer that is not a range. */
export type BreachCheckFailure = 'unreachable' | 'timeout' | 'malformed';

interface Instruments {
  registry: Registry;
  requestsAccepted: Counter;
  requestsRefused: Counter<'status'>;
  resets: Counter;
  resetsRefused: Counter<'code'>;
  mails: Record<MailOutcome, Counter<'kind'>>;
  deliverySeconds: Histogram<'kind'>;
  breachCheckFailures: Counter<'reason'>;
}

/** Queued to delivered, in seconds: a healthy queue stays in the first buckets, retries land in the last. */
const DELIVERY_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600];

/**
 * The module's counters, in Prometheus' terms. Without `metrics` in the
 * options it counts nothing and prom-client is never loaded. Labels name
 * statuses, refusal codes and kinds of mail only, never a user, an identifier
 * or a token. Counters are this process's; the queue gauges are the shared
 * queue's, the same on every instance, and come from a SharedQueueStatus, so
 * scraping costs the database next to nothing. The module serves them on no
 * route: who may read them is the host's to decide (see the README).
 */
export class PasswordResetMetrics {
  private constructor(private readonly instruments?: Instruments) {}

  static off(): PasswordResetMetrics {
    return new PasswordResetMetrics();
  }

  static prometheus(
    queueStatus: () => Promise<MailQueueStatus>,
    clock: Clock,
  ): PasswordResetMetrics {
    // Loaded here, not at the top: a host that leaves metrics off need not install prom-client.
    const { Counter, Gauge, Histogram, Registry } =
      require('prom-client') as typeof import('prom-client');
    const logger = new Logger('PasswordResetMetrics');
    const queue = new SharedQueueStatus(queueStatus, clock, (error) =>
      logger.warn(
        `Queue gauges left out: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
    const registry = new Registry();
    const registers = [registry];
    const mailCounter = (outcome: string, help: string) =>
      new Counter({
        name: `password_reset_mails_${outcome}_total`,
        help,
        labelNames: ['kind'],
        registers,
      });
    // Each gauge sets itself from the shared status when read; a database that does not answer leaves them out, not the counters.
    const queueGauge = <Label extends string>(
      name: string,
      help: string,
      labelNames: Label[],
      fill: (gauge: Gauge<Label>, status: MailQueueStatus) => void,
    ) =>
      new Gauge<Label>({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const status = await queue.current();
          this.reset();
          if (status) fill(this, status);
        },
      });
    queueGauge(
      'password_reset_queue_mails',
      'mails in the queue by status (sent: in the last hour)',
      ['kind', 'status'],
      (gauge, status) => {
        for (const kind of status.kinds) {
          for (const [name, count] of [
            ['pending', kind.pending],
            ['sending', kind.sending],
            ['sent', kind.sentLastHour],
            ['unconfirmed', kind.unconfirmedLastHour],
            ['dead', kind.dead],
          ] as const) {
            gauge.set({ kind: kind.kind, status: name }, count);
          }
        }
      },
    );
    queueGauge(
      'password_reset_queue_oldest_pending_seconds',
      'age of the oldest mail not yet delivered',
      ['kind'],
      (gauge, status) => {
        for (const kind of status.kinds)
          if (kind.oldestPendingAgeSeconds !== null)
            gauge.set({ kind: kind.kind }, kind.oldestPendingAgeSeconds);
      },
    );
    queueGauge(
      'password_reset_queue_requests',
      'requests recorded and not yet processed',
      [],
      (gauge, status) => gauge.set(status.requestsWaiting),
    );
    queueGauge(
      'password_reset_queue_oldest_request_seconds',
      'age of the oldest request not yet processed',
      [],
      (gauge, status) => {
        if (status.oldestRequestAgeSeconds !== null)
          gauge.set(status.oldestRequestAgeSeconds);
      },
    );
    return new PasswordResetMetrics({
      registry,
      requestsAccepted: new Counter({
        name: 'password_reset_requests_accepted_total',
        help: 'lostPassword requests answered 200 (recorded)',
        registers,
      }),
      requestsRefused: new Counter({
        name: 'password_reset_requests_refused_total',
        help: 'lostPassword requests refused, by HTTP status',
        labelNames: ['status'],
        registers,
      }),
      resets: new Counter({
        name: 'password_reset_resets_total',
        help: 'passwords replaced through a reset link',
        registers,
      }),
      resetsRefused: new Counter({
        name: 'password_reset_resets_refused_total',
        help: 'resetPassword requests refused, by error code',
        labelNames: ['code'],
        registers,
      }),
      mails: {
        sent: mailCounter('sent', 'mails the transport accepted'),
        failed: mailCounter(
          'failed',
          'delivery attempts that certainly delivered nothing (retried, or dead)',
        ),
        unconfirmed: mailCounter(
          'unconfirmed',
          'delivery attempts that may have delivered the mail, not sent again',
        ),
        dead: mailCounter('dead', 'mails given up after the last attempt'),
      },
      deliverySeconds: new Histogram({
        name: 'password_reset_mail_delivery_seconds',
        help: 'from queued to accepted by the transport',
        labelNames: ['kind'],
        buckets: DELIVERY_BUCKETS,
        registers,
      }),
      breachCheckFailures: new Counter({
        name: 'password_reset_breach_check_failures_total',
        help: 'breached-password checks that let the password through unchecked, by reason',
        labelNames: ['reason'],
        registers,
      }),
    });
  }

  lostPasswordAnswered(status: number): void {
    if (status === 200) this.instruments?.requestsAccepted.inc();
    else this.instruments?.requestsRefused.inc({ status: String(status) });
  }

  resetPasswordAnswered(status: number, code: string | undefined): void {
    if (status === 200) this.instruments?.resets.inc();
    else this.instruments?.resetsRefused.inc({ code: code ?? String(status) });
  }

  mailAttempted(
    kind: OutboxMailKind,
    outcome: MailOutcome,
    queuedAt: number,
    now: number,
  ): void {
    this.instruments?.mails[outcome].inc({ kind });
    if (outcome === 'sent')
      this.instruments?.deliverySeconds.observe(
        { kind },
        (now - queuedAt) / 1000,
      );
  }

  breachCheckFailed(reason: BreachCheckFailure): void {
    this.instruments?.breachCheckFailures.inc({ reason });
  }

  /**
   * The module's registry, for a host to serve where its monitoring reads it
   * or to merge into its own (`Registry.merge`); reading it reads the queue
   * gauges too.
   */
  get registry(): Registry {
    if (!this.instruments)
      throw new Error(
        'PasswordResetModule: metrics are off; mount the module with metrics: true',
      );
    return this.instruments.registry;
  }

  /** The text Prometheus scrapes, and its content type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return {
      contentType: this.registry.contentType,
      text: await this.registry.metrics(),
    };
  }
}
