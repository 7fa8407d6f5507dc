import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { Clock } from '../clock';
import type { ResolvedPasswordResetOptions } from '../options/resolve-options';
import {
  PASSWORD_RESET_CLOCK,
  PASSWORD_RESET_RESOLVED_OPTIONS,
} from '../password-reset.constants';
import { ResetRequestProcessor } from '../requests/reset-request.processor';
import { ResetTokenService } from '../tokens/reset-token.service';
import { MailDeliveryService } from './mail-delivery.service';
import { MailOutboxService } from './mail-outbox.service';

const SHUTDOWN_GRACE_MS = 5000;
const HOUR = 60 * 60 * 1000;
/** Old enough for every rule that looks back (the per-account limit, an operator's question), and no older. */
const RETENTION_MS = 7 * 24 * HOUR;

/**
 * The in-process worker: each pass turns recorded requests into queued mails
 * (ResetRequestProcessor), delivers the mails that are due
 * (MailDeliveryService), and hourly forgets old tokens and mails. It runs on a
 * timer, which picks up new requests, retries, work left by a restart and
 * work recorded by other instances, and when woken by a reset (for the notice).
 * A delivery that ends wakes it for delivery only: looking for requests on
 * each would cost a transaction per mail sent, and requests wait for the
 * timer anyway. One pass at a time; a wake during a pass asks for another.
 */
@Injectable()
export class PasswordResetWorker
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('PasswordResetWorker');
  private readonly pollIntervalMs: number;
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  private wokenDuringPass = false;
  private requestsDue = false;
  private stopped = false;
  private prunedAt = -Infinity;
  private readonly retentionMs: number;

  constructor(
    private readonly requests: ResetRequestProcessor,
    private readonly delivery: MailDeliveryService,
    private readonly outbox: MailOutboxService,
    private readonly tokens: ResetTokenService,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
    @Inject(PASSWORD_RESET_RESOLVED_OPTIONS)
    options: Pick<ResolvedPasswordResetOptions, 'delivery' | 'accountLimit'>,
  ) {
    this.pollIntervalMs = options.delivery.pollIntervalMs;
    this.retentionMs = Math.max(RETENTION_MS, options.accountLimit.windowMs);
    delivery.onDeliveryEnded(() => this.wakeForDelivery());
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.wake();
  }

  /** Lets a pass and the deliveries under way finish and gives back the mail claimed and not started, but not forever: a hung database must not hold the process; the work stays queued. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    let grace: NodeJS.Timeout | undefined;
    const passAndDeliveries = Promise.all([
      Promise.resolve(this.pass)
        .then(() => this.delivery.releaseClaimed())
        // Those not given back wait for their leases to end, as after a crash.
        .catch((error: Error) =>
          this.logger.error(
            `Giving back claimed mail failed: ${error.message}`,
          ),
        ),
      this.delivery.deliveriesEnded(),
    ]);
    await Promise.race([
      passAndDeliveries,
      new Promise(
        (resolve) => (grace = setTimeout(resolve, SHUTDOWN_GRACE_MS)),
      ),
    ]);
    clearTimeout(grace);
  }

  wake(): void {
    this.requestsDue = true;
    this.wakeForDelivery();
  }

  private wakeForDelivery(): void {
    if (this.stopped) return;
    if (this.pass) {
      this.wokenDuringPass = true;
      return;
    }
    this.pass = this.drain().finally(() => (this.pass = undefined));
  }

  private async pruneHourly(): Promise<void> {
    const now = this.clock.now();
    if (now - this.prunedAt < HOUR) return;
    this.prunedAt = now;
    await this.tokens.prune(now - this.retentionMs);
    await this.outbox.prune(now - this.retentionMs);
  }

  private async drain(): Promise<void> {
    do {
      this.wokenDuringPass = false;
      try {
        if (this.requestsDue) {
          this.requestsDue = false;
          while ((await this.requests.processBatch()) > 0 && !this.stopped);
        }
        while ((await this.delivery.deliverDue()) > 0 && !this.stopped);
        await this.pruneHourly();
      } catch (error) {
        // The work stays in the database and the next pass takes it up again.
        this.logger.error(
          `Pass failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    } while (this.wokenDuringPass && !this.stopped);
  }
}
