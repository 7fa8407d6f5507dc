import { text } from '../../i18n/text';
import { PasswordResetError } from '../../password-reset.error';
import { isResetCodeShaped } from '../../tokens/reset-code';
import type { CheckResetTokenDto } from './reset-password.dto';

/** What names the reset: the link's token, or the mail's code with the username. */
export type ResetCredentials =
  { token: string } | { username: string; code: string };

function refused(key: string, values: Record<string, unknown>) {
  return new PasswordResetError('invalid_request', text(key, values));
}

/**
 * Which of the two a body sends, refusing a body with both, with neither, or
 * with half of the code's pair, and a code that cannot be one of this
 * service's (`digits` of them; 0 when it sends no codes). None of this
 * depends on the user.
 */
export function resetCredentialsOf(
  { token, username, code }: CheckResetTokenDto,
  digits: number,
): ResetCredentials {
  if (code !== undefined && digits === 0)
    throw refused('validation.resetCode.off', { field: 'code' });
  if (token !== undefined) {
    if (code !== undefined)
      throw refused('validation.resetCode.tokenAndCode', { field: 'code' });
    if (username !== undefined)
      throw refused('validation.resetCode.usernameWithToken', {
        field: 'username',
      });
    return { token };
  }
  if (code === undefined)
    throw refused(
      digits === 0
        ? 'validation.required'
        : 'validation.resetCode.tokenOrCodeRequired',
      { field: 'token' },
    );
  if (username === undefined)
    throw refused('validation.required', { field: 'username' });
  if (!isResetCodeShaped(code, digits))
    throw refused('validation.resetCode.digits', { field: 'code', digits });
  return { username, code };
}
