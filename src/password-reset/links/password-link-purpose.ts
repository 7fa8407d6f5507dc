/** What a link is for: resetting a forgotten password, or setting the first one of an invited user. */
export type PasswordLinkPurpose = 'reset' | 'invite';

export const PASSWORD_LINK_PURPOSES: readonly PasswordLinkPurpose[] = [
  'reset',
  'invite',
];
