/**
 * The module's English texts, the fallback of every other language: a key
 * missing in a translation shows the English text, never the key.
 * `{{name}}` is filled in; keys ending in `_one`/`_other` are plural forms.
 */
export const ENGLISH_MESSAGES = {
  mail: {
    defaultProductName: 'your account',
    greeting: 'Hello {{name}},',
    resetPassword: {
      subject: 'Reset your password for {{productName}}',
      intro:
        'Someone, hopefully you, asked to reset the password of {{productName}}.',
      button: 'Choose a new password',
      linkLead: 'Choose a new password here:',
      expiry_one: 'The link works once and expires in {{count}} minute.',
      expiry_other: 'The link works once and expires in {{count}} minutes.',
      expiry_seconds_one:
        'The link works once and expires in {{count}} second.',
      expiry_seconds_other:
        'The link works once and expires in {{count}} seconds.',
      expiry_hours_one: 'The link works once and expires in {{count}} hour.',
      expiry_hours_other: 'The link works once and expires in {{count}} hours.',
      notYou:
        'If you did not ask for this, ignore this mail: your password stays as it is.',
      code: {
        lead: 'Or, where the link does not open, enter this code with your username or e-mail address:',
        sameReset:
          'The code and the link are one reset: whichever you use, the other stops working.',
      },
    },
    invite: {
      subject: 'Set your password for {{productName}}',
      intro:
        'You were invited to {{productName}}. Choose a password to start using it.',
      button: 'Set my password',
      linkLead: 'Set your password here:',
      expiry_one: 'The link works once and expires in {{count}} minute.',
      expiry_other: 'The link works once and expires in {{count}} minutes.',
      expiry_seconds_one:
        'The link works once and expires in {{count}} second.',
      expiry_seconds_other:
        'The link works once and expires in {{count}} seconds.',
      expiry_hours_one: 'The link works once and expires in {{count}} hour.',
      expiry_hours_other: 'The link works once and expires in {{count}} hours.',
      notYou:
        'If you did not expect this invitation, ignore this mail: no password is set without you.',
    },
    passwordChanged: {
      subject: 'Your password for {{productName}} was changed',
      intro:
        'The password of {{productName}} was changed on {{changedAt}} through a reset link.',
      notYou:
        'If this was you, there is nothing to do. If it was not, reset your password now and contact support.',
    },
  },
  pages: {
    lostPasswordForm: {
      title: 'Forgot your password?',
      intro:
        'Enter your username or e-mail address. If it belongs to an account, we will mail a link to choose a new password.',
      username: 'Username or e-mail address',
      submit: 'Send me a link',
    },
    lostPasswordSent: {
      title: 'Check your mail',
      outcome:
        'If an account matches what you entered, a mail with a link to choose a new password is on its way. The link works once and expires soon.',
      hint: 'Nothing arrived? Check your spam folder, or',
      askAgain: 'ask again',
      codeForm: {
        heading: 'Got a code in the mail?',
        intro: 'Enter it here instead of opening the link.',
        username: 'Username or e-mail address',
        code: 'Code from the mail',
        submit: 'Set my new password',
      },
    },
    resetForm: {
      title: 'Choose a new password',
      password: 'New password',
      passwordConfirmation: 'The same password again',
      secondFactorCode:
        'Code from your second factor (authenticator app or backup code)',
      hint: 'At least {{minLength}} characters. A few unrelated words make a strong password that is easy to remember.',
      submit: 'Set my new password',
      inviteTitle: 'Set your password',
      inviteSubmit: 'Set my password',
    },
    resetDone: {
      title: 'Password changed',
      outcome: 'Your password was changed. You can now sign in with it.',
      continue: 'Continue',
      inviteTitle: 'Password set',
      inviteOutcome: 'Your password was set. You can now sign in with it.',
    },
    linkInvalid: {
      title: 'This link no longer works',
      outcome:
        'This link has expired or was already used. Reset links work once, for a short time, and only the newest one works.',
      askAgain: 'Ask for a new link',
    },
    error: {
      title: 'Something went wrong',
      startAgain: 'Start again',
    },
  },
  errors: {
    invalid_token:
      'this reset link or code is invalid, has expired or was already used',
    password_mismatch: 'the two passwords differ',
    second_factor_required:
      'this account has a second factor: enter its code to set a new password',
    invalid_second_factor: 'the code of your second factor is wrong',
    payload_too_large: 'request body is larger than {{limit}}',
    unsupported_media_type:
      'the body is in an encoding or charset this service does not read: {{reason}}',
    malformed_body: 'request body is malformed: {{reason}}',
    too_many_requests: 'too many requests from this address; try again later',
    database_unavailable:
      'the service is unavailable just now; please try again',
    request_not_recorded: 'the request could not be recorded; please try again',
    identifier_not_stored: 'username could not be stored',
    password_not_stored:
      'the password could not be stored; the link still works, please try again',
    sessions_not_ended:
      'your password was changed and this link is used up, but your other sessions could not be ended; sign in with the new password and sign out everywhere, or contact support',
    unknown_user: 'there is no user {{userId}}',
    account_limit:
      'this account has had the {{max}} reset mails the per-account limit allows; the next may be sent after {{nextAt}}',
    unknown_link_purpose:
      'a link is for "reset" or "invite", not "{{purpose}}"',
    invalid_link_ttl:
      "a link's lifetime is milliseconds or a duration such as 7d, not {{ttl}}",
    internal_error: 'internal error',
    invalid_request: 'invalid request body',
  },
  validation: {
    required: '{{field}} is required',
    notString: '{{field}} must be a string',
    empty: '{{field}} must not be empty',
    blank: '{{field}} must not be empty or blank',
    tooLong: '{{field}} must be shorter than or equal to {{max}} characters',
    identifierTooLong:
      '{{field}} must be at most {{max}} characters of valid Unicode',
    controlCharacters: '{{field}} must not contain control characters',
    unknownField: 'property {{field}} should not exist',
    resetCode: {
      off: '{{field}} is not accepted: this service sends reset links only',
      tokenAndCode:
        "{{field}} must not come with token: send the link's token, or username and code",
      usernameWithToken:
        "{{field}} goes with code, not with token: send the link's token, or username and code",
      tokenOrCodeRequired:
        '{{field}} is required, or username and code instead',
      digits: '{{field}} must be the {{digits}} digits from the mail',
    },
    returnToNotAllowed:
      '{{field}} must be an absolute http(s) URL on the list of allowed return addresses',
  },
  passwordPolicy: {
    hint: '{{hint}}',
    tooShort: 'password must be at least {{minLength}} characters long',
    tooLong: 'password must be at most {{maxLength}} characters long',
    personal: 'password must not be your username or e-mail address',
    guessable: 'password is too easy to guess',
    breached:
      'password appeared in a data breach, so attackers try it first; choose another',
  },
};

/** Every text of the module; a language supplies any part of it. */
export type PasswordResetMessages = typeof ENGLISH_MESSAGES;

/** Part of the texts: what a translation, or a host's change of a few texts, supplies. */
export type PasswordResetTranslation<T = PasswordResetMessages> = {
  [K in keyof T]?: T[K] extends string
    ? string
    : PasswordResetTranslation<T[K]>;
};
