import { Inject, Injectable } from '@nestjs/common';
import type { Clock } from './clock';
import { HostEvents } from './host-event-emitter';
import type { PasswordLinkPurpose } from './links/password-link-purpose';
import type { OutboxMail } from './mail/outbox-mail.entity';
import {
  PASSWORD_RESET_CLOCK,
  PasswordResetEvents,
} from './password-reset.constants';
import {
  PasswordResetMailFailedEvent,
  PasswordResetMailSentEvent,
  PasswordResetRefusal,
  PasswordResetRefusedEvent,
  PasswordResetRequestedEvent,
} from './password-reset.events';

/** The events an operator or a SIEM follows, each emitted off the request path (see HostEvents.emitDetached). */
@Injectable()
export class AuditTrail {
  constructor(
    private readonly events: HostEvents,
    @Inject(PASSWORD_RESET_CLOCK) private readonly clock: Clock,
  ) {}

  requested(
    userId: string,
    purpose: PasswordLinkPurpose = 'reset',
    requestedBy: 'user' | 'operator' = 'user',
  ): void {
    this.events.emitDetached(
      PasswordResetEvents.requested,
      new PasswordResetRequestedEvent(userId, this.now(), purpose, requestedBy),
    );
  }

  /** A mail's recorded outcome: sent, or failed for good (dead, unconfirmed); a retry to come is no outcome yet. */
  mailRecorded(mail: OutboxMail, outcome: Partial<OutboxMail>): void {
    const attempts = outcome.attempts ?? mail.attempts;
    if (outcome.status === 'sent') {
      this.events.emitDetached(
        PasswordResetEvents.mailSent,
        new PasswordResetMailSentEvent(
          mail.id,
          mail.userId,
          mail.kind,
          attempts,
          this.now(),
        ),
      );
    } else if (outcome.status === 'dead' || outcome.status === 'unconfirmed') {
      this.events.emitDetached(
        PasswordResetEvents.mailFailed,
        new PasswordResetMailFailedEvent(
          mail.id,
          mail.userId,
          mail.kind,
          outcome.status,
          attempts,
          this.now(),
        ),
      );
    }
  }

  refused(reason: PasswordResetRefusal, userId?: string): void {
    this.events.emitDetached(
      PasswordResetEvents.refused,
      new PasswordResetRefusedEvent(reason, this.now(), userId),
    );
  }

  private now(): Date {
    return new Date(this.clock.now());
  }
}
