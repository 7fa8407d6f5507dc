import { randomBytes, scryptSync } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CreateUsers1764201600001 } from './migrations/1764201600001-create-users';
import { hashPassword, needsRehash, verifyPassword } from './password-hasher';
import { User } from './user.entity';
import { UsersService } from './users.service';

/** A hash as the store made it with the parameters of an earlier version. */
function hashWithOlderParameters(
  password: string,
  N: number,
  p: number,
): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, {
    N,
    r: 8,
    p,
    maxmem: 256 * N * 8,
  });
  return [
    'scrypt',
    N,
    8,
    p,
    salt.toString('base64'),
    key.toString('base64'),
  ].join('$');
}

describe('the standalone users and their password hashes', () => {
  let dataSource: DataSource;
  let users: UsersService;

  beforeEach(async () => {
    dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [User],
      migrations: [CreateUsers1764201600001],
      migrationsRun: true,
    }).initialize();
    users = new UsersService(dataSource.getRepository(User));
  });
  afterEach(() => dataSource.destroy());

  const storedHashOf = async (username: string) =>
    (await dataSource.getRepository(User).findOneByOrFail({ username }))
      .passwordHash;

  it('hashes with scrypt N=2^15, r=8, p=3 (32 MiB a hash), salted, and verifies only the same password', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(
      /^scrypt\$32768\$8\$3\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/,
    );
    expect(await hashPassword('correct horse battery staple')).not.toBe(hash);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(
      true,
    );
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(
      false,
    );
    expect(needsRehash(hash)).toBe(false);
  });

  it.each([
    { N: 2 ** 17, p: 1 },
    { N: 2 ** 16, p: 2 },
  ])(
    "still verifies a hash made with N=$N, r=8, p=$p, and makes it again with today's on a match",
    async ({ N, p }) => {
      await dataSource.getRepository(User).insert({
        username: 'old',
        email: 'old@example.com',
        passwordHash: hashWithOlderParameters('an older password', N, p),
        createdAt: 0,
      });
      expect(needsRehash(await storedHashOf('old'))).toBe(true);

      expect(await users.verify('old', 'not the password')).toBe(false);
      expect((await storedHashOf('old')).split('$').slice(0, 4)).toEqual([
        'scrypt',
        String(N),
        '8',
        String(p),
      ]);

      expect(await users.verify('old', 'an older password')).toBe(true);
      const remade = await storedHashOf('old');
      expect(remade).toMatch(/^scrypt\$32768\$8\$3\$/);
      expect(await users.verify('old', 'an older password')).toBe(true);
      expect(await storedHashOf('old')).toBe(remade);
    },
  );
});
