import { AuditTrail } from '../../src/password-reset/audit-trail';
import type { Clock } from '../../src/password-reset/clock';
import { HostEvents } from '../../src/password-reset/host-event-emitter';

/** The audit trail of a host without `EventEmitterModule`: its events go nowhere, for unit specs of the classes that emit them. */
export function withoutListeners(clock: Clock): AuditTrail {
  const noEmitter = {
    get: () => {
      throw new Error('no EventEmitter2 in this host');
    },
  };
  return new AuditTrail(new HostEvents(noEmitter as never), clock);
}
