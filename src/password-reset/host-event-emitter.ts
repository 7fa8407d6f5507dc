import type { ModuleRef } from '@nestjs/core';

interface AsyncEventEmitter {
  emitAsync(event: string, ...values: unknown[]): Promise<unknown[]>;
}

/**
 * The host's EventEmitter2, if it imports `EventEmitterModule` (an optional
 * peer): the module emits on the host's own emitter, where its `@OnEvent`
 * listeners are, and works all the same without one.
 */
export function hostEventEmitter(moduleRef: ModuleRef): AsyncEventEmitter | undefined {
  let token: unknown;
  try {
    ({ EventEmitter2: token } = require('@nestjs/event-emitter'));
  } catch {
    return undefined;
  }
  try {
    return moduleRef.get(token as never, { strict: false });
  } catch {
    return undefined;
  }
}
