import { compare, hash } from 'bcryptjs';

const COST = 12;

// The reset module hands setPassword the new password in Unicode NFKC; hashing
// and checking that form everywhere lets the same password typed on another
// keyboard still match.
export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFKC'), COST);
}

export function passwordMatches(
  password: string,
  passwordHash: string,
): Promise<boolean> {
  return compare(password.normalize('NFKC'), passwordHash);
}
