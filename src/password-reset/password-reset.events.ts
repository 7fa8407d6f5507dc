/** Payload of `PasswordResetEvents.passwordChanged`. */
export class PasswordChangedEvent {
  constructor(
    readonly userId: string,
    readonly changedAt: Date,
  ) {}
}
