import { createHash } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { ResetToken } from './reset-token.entity';
import { IN_FLIGHT_MS, ResetTokenService } from './reset-token.service';
import { ResetTokenRevocation } from './reset-token-revocation';
import { ResetCodeHasher } from './reset-code';
import { inMemoryDatabase } from '../../../test/support/in-memory-database';
import { resolvedOptions } from '../../../test/support/module-options';

const SECRET = 'unit-test-secret-unit-test-secret-unit-test';

describe('ResetTokenService', () => {
  let dataSource: DataSource;
  let now: number;
  let tokens: ResetTokenService;

  beforeEach(async () => {
    dataSource = await inMemoryDatabase();
    now = Date.UTC(2026, 10, 27, 12);
    tokens = new ResetTokenService(
      dataSource.getRepository(ResetToken),
      new JwtService({ secret: SECRET }),
      { now: () => now },
      resolvedOptions(),
    );
  });
  afterEach(() => dataSource.destroy());

  const claimsOf = (link: string) =>
    JSON.parse(Buffer.from(link.split('.')[1], 'base64url').toString());

  it('makes 32 random bytes, stores only their SHA-256, and binds token id, user, purpose and expiry in the JWT', async () => {
    const issued = await tokens.issue('42');
    const claims = claimsOf(issued.link);
    const raw = Buffer.from(claims.tok, 'base64url');
    expect(raw).toHaveLength(32);
    expect(claims).toMatchObject({
      sub: '42',
      jti: issued.tokenId,
      purpose: 'password-reset',
      iat: now / 1000,
      exp: Math.floor((now + 30 * 60000) / 1000),
    });
    const row = await dataSource
      .getRepository(ResetToken)
      .findOneByOrFail({ id: issued.tokenId });
    expect(row.tokenHash).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(row.expiresAt).toBe(now + 30 * 60000);
    expect(JSON.stringify(row)).not.toContain(claims.tok);
  });

  it('never makes the same token twice', async () => {
    const a = claimsOf((await tokens.issue('1')).link).tok;
    const b = claimsOf((await tokens.issue('1')).link).tok;
    expect(a).not.toBe(b);
  });

  it('finds a live token without spending it', async () => {
    const issued = await tokens.issue('7');
    expect((await tokens.find(issued.link))?.id).toBe(issued.tokenId);
    expect((await tokens.find(issued.link))?.id).toBe(issued.tokenId);
  });

  it('refuses a link signed with another secret, with another purpose, or with a changed claim', async () => {
    const issued = await tokens.issue('7');
    const claims = claimsOf(issued.link);
    const forged = new JwtService({
      secret: 'another-secret-another-secret-another',
    });
    expect(await tokens.find(await forged.signAsync(claims))).toBeNull();
    const signer = new JwtService({ secret: SECRET });
    expect(
      await tokens.find(
        await signer.signAsync({ ...claims, purpose: 'email-confirmation' }),
      ),
    ).toBeNull();
    expect(
      await tokens.find(await signer.signAsync({ ...claims, sub: '8' })),
    ).toBeNull();
    expect(
      await tokens.find(
        await signer.signAsync({
          ...claims,
          tok: Buffer.alloc(32).toString('base64url'),
        }),
      ),
    ).toBeNull();
    const [header, , signature] = issued.link.split('.');
    const tampered = Buffer.from(
      JSON.stringify({ ...claims, sub: '8' }),
    ).toString('base64url');
    expect(await tokens.find(`${header}.${tampered}.${signature}`)).toBeNull();
  });

  it('expires a token after its lifetime', async () => {
    const issued = await tokens.issue('7');
    now += 30 * 60000 - 1000;
    expect(await tokens.find(issued.link)).not.toBeNull();
    now += 1000;
    expect(await tokens.find(issued.link)).toBeNull();
  });

  it('supersedes the older tokens of the user when it makes a new one', async () => {
    const first = await tokens.issue('7');
    const other = await tokens.issue('8');
    const second = await tokens.issue('7');
    expect(await tokens.find(first.link)).toBeNull();
    expect(await tokens.find(second.link)).not.toBeNull();
    expect(await tokens.find(other.link)).not.toBeNull();
  });

  it('is consumed once, and restored when asked', async () => {
    const issued = await tokens.issue('7');
    const token = (await tokens.find(issued.link))!;
    expect(await tokens.consume(token)).toBe(true);
    expect(await tokens.consume(token)).toBe(false);
    expect(await tokens.find(issued.link)).toBeNull();
    await tokens.restore(token);
    expect(await tokens.find(issued.link)).not.toBeNull();
  });

  it('revokes every live token of a user', async () => {
    const issued = await tokens.issue('7');
    await tokens.revokeAllOf('7');
    expect(await tokens.find(issued.link)).toBeNull();
  });

  it('refuses a link signed with another algorithm, even with the right secret', async () => {
    const issued = await tokens.issue('7');
    const otherAlgorithm = new JwtService({
      secret: SECRET,
      signOptions: { algorithm: 'HS512' },
    });
    expect(
      await tokens.find(await otherAlgorithm.signAsync(claimsOf(issued.link))),
    ).toBeNull();
  });

  it('refuses a link without the token or the token id', async () => {
    const issued = await tokens.issue('7');
    const { tok, jti, ...rest } = claimsOf(issued.link);
    const signer = new JwtService({ secret: SECRET });
    expect(
      await tokens.find(await signer.signAsync({ ...rest, jti })),
    ).toBeNull();
    expect(
      await tokens.find(await signer.signAsync({ ...rest, tok })),
    ).toBeNull();
  });

  it("makes each new token newer than the last by the database's clock, also within one millisecond, and expires it by the instance's", async () => {
    const first = await tokens.issue('7');
    const second = await tokens.issue('7');
    const createdAt = async (id: string) =>
      (await dataSource.getRepository(ResetToken).findOneByOrFail({ id }))
        .createdAt;
    expect(await createdAt(second.tokenId)).toBeGreaterThan(
      await createdAt(first.tokenId),
    );
    // The instance's clock is set to 2026-11-27 here; the database's is the real one.
    expect(
      Math.abs((await createdAt(first.tokenId)) - Date.now()),
    ).toBeLessThan(60_000);
    expect(second.expiresAt).toBe(now + 30 * 60000);
  });

  it('leaves exactly the newest by (creation time, id) live when other instances made tokens in the same millisecond', async () => {
    const rows = dataSource.getRepository(ResetToken);
    // Made elsewhere, newer than anything this instance makes now, both in one millisecond.
    const sameMillisecond = Date.now() + 10 * 60000;
    const madeElsewhere = (id: string) =>
      rows.insert({
        id,
        userId: '7',
        tokenHash: '0'.repeat(64),
        createdAt: sameMillisecond,
        expiresAt: now + 60000,
        usedAt: null,
        completedAt: null,
        revokedAt: null,
      });
    const revokedAt = async (id: string) =>
      (await rows.findOneByOrFail({ id })).revokedAt;
    await madeElsewhere('00000000-0000-4000-8000-000000000000');
    await madeElsewhere('ffffffff-ffff-4fff-bfff-ffffffffffff');

    const older = await tokens.issue('7');
    expect(await tokens.find(older.link)).toBeNull();
    expect(await revokedAt('ffffffff-ffff-4fff-bfff-ffffffffffff')).toBeNull();
    expect(await revokedAt('00000000-0000-4000-8000-000000000000')).toBe(now);
  });

  it('records when it was consumed, and is not consumed once revoked or expired', async () => {
    const issued = await tokens.issue('7');
    const token = (await tokens.find(issued.link))!;
    await tokens.revoke(token.id);
    expect(await tokens.consume(token)).toBe(false);

    const expiring = (await tokens.find((await tokens.issue('8')).link))!;
    now = expiring.expiresAt;
    expect(await tokens.consume(expiring)).toBe(false);
    now -= 1;
    expect(await tokens.consume(expiring)).toBe(true);
    expect(
      (
        await dataSource
          .getRepository(ResetToken)
          .findOneByOrFail({ id: expiring.id })
      ).usedAt,
    ).toBe(now);
  });

  it('revokes one token, at the time it is told to, but not one already used', async () => {
    const issued = await tokens.issue('7');
    await tokens.revoke(issued.tokenId);
    expect(await tokens.find(issued.link)).toBeNull();
    expect(
      (
        await dataSource
          .getRepository(ResetToken)
          .findOneByOrFail({ id: issued.tokenId })
      ).revokedAt,
    ).toBe(now);

    const used = await tokens.issue('8');
    await tokens.consume((await tokens.find(used.link))!);
    await tokens.revoke(used.tokenId);
    expect(
      (
        await dataSource
          .getRepository(ResetToken)
          .findOneByOrFail({ id: used.tokenId })
      ).revokedAt,
    ).toBeNull();
  });

  it("revokes only that user's tokens", async () => {
    const mine = await tokens.issue('7');
    const theirs = await tokens.issue('8');
    await tokens.revokeAllOf('7');
    expect(await tokens.find(mine.link)).toBeNull();
    expect(await tokens.find(theirs.link)).not.toBeNull();
  });

  it('forgets the tokens that expired before the given time, and only those', async () => {
    const first = await tokens.issue('7');
    now += 1000;
    const second = await tokens.issue('8');
    await tokens.prune(first.expiresAt + 1);
    const left = await dataSource.getRepository(ResetToken).find();
    expect(left.map((token) => token.id)).toEqual([second.tokenId]);
    await tokens.prune(second.expiresAt);
    expect(await dataSource.getRepository(ResetToken).count()).toBe(1);
  });

  describe('a password change made another way', () => {
    let revocation: ResetTokenRevocation;
    beforeEach(() => {
      revocation = new ResetTokenRevocation(dataSource, { now: () => now });
    });

    it('revokes the live tokens and returns at once when no reset is in flight', async () => {
      const issued = await tokens.issue('7');
      await revocation.revokeTokensOf('7');
      expect(await tokens.find(issued.link)).toBeNull();
    });

    it('waits until the reset in flight has stored its password', async () => {
      const token = (await tokens.find((await tokens.issue('7')).link))!;
      await tokens.consume(token);
      let returned = false;
      const change = revocation
        .revokeTokensOf('7')
        .then(() => (returned = true));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(returned).toBe(false);
      await tokens.complete(token, dataSource.manager);
      await change;
      expect(
        (
          await dataSource
            .getRepository(ResetToken)
            .findOneByOrFail({ id: token.id })
        ).completedAt,
      ).toBe(now);
    });

    it('does not wait for a reset in flight longer than a reset can take: its process died', async () => {
      const token = (await tokens.find((await tokens.issue('7')).link))!;
      await tokens.consume(token);
      now += IN_FLIGHT_MS;
      await revocation.revokeTokensOf('7');
      expect(IN_FLIGHT_MS).toBe(60_000);
    });

    it("revokes inside the caller's transaction with its manager, and waits there for no reset in flight", async () => {
      const inFlight = (await tokens.find((await tokens.issue('7')).link))!;
      await tokens.consume(inFlight);
      const issued = await tokens.issue('7');
      await expect(
        dataSource.transaction(async (manager) => {
          await revocation.revokeTokensOf('7', { manager });
          throw new Error('the password could not be stored');
        }),
      ).rejects.toThrow('the password could not be stored');
      expect(await tokens.find(issued.link)).not.toBeNull();
      await dataSource.transaction((manager) =>
        revocation.revokeTokensOf('7', { manager }),
      );
      expect(await tokens.find(issued.link)).toBeNull();
    });
  });

  describe('with codes of 8 digits, 3 attempts', () => {
    let withCodes: ResetTokenService;
    beforeEach(() => {
      withCodes = new ResetTokenService(
        dataSource.getRepository(ResetToken),
        new JwtService({ secret: SECRET }),
        { now: () => now },
        resolvedOptions({ code: { digits: 8, attempts: 3 } }),
      );
    });
    const rowOf = (id: string) =>
      dataSource.getRepository(ResetToken).findOneByOrFail({ id });

    it('gives each token a code of 8 digits and stores only its keyed hash', async () => {
      const issued = await withCodes.issue('7');
      expect(issued.code).toMatch(/^[0-9]{8}$/);
      const row = await rowOf(issued.tokenId);
      expect(row.codeHash).toBe(
        new ResetCodeHasher(SECRET).hash(issued.tokenId, issued.code!),
      );
      expect(row.failedCodes).toBe(0);
      expect((await tokens.issue('8')).code).toBeUndefined();
    });

    it("finds the user's newest live token by its code, and only the user's", async () => {
      const older = await withCodes.issue('7');
      now += 1;
      const newer = await withCodes.issue('7');
      expect((await withCodes.findByCode('7', newer.code!))?.id).toBe(
        newer.tokenId,
      );
      expect(await withCodes.findByCode('7', older.code!)).toBeNull();
      expect(await withCodes.findByCode('8', newer.code!)).toBeNull();
      expect(await withCodes.findByCode(null, newer.code!)).toBeNull();
      now += 30 * 60000;
      expect(await withCodes.findByCode('7', newer.code!)).toBeNull();
    });

    it('changes one of a few dead rows of no user for a code against no reset with attempts left, as taking an attempt changes one', async () => {
      const repository = dataSource.getRepository(ResetToken);
      const issued = await withCodes.issue('7');
      const decoys = async () =>
        (await repository.find()).filter((row) => row.id !== issued.tokenId);
      for (let i = 0; i < 40; i++) {
        const before = new Map(
          (await decoys()).map((row) => [row.id, row.failedCodes]),
        );
        expect(
          await withCodes.findByCode(i % 2 ? null : '8', issued.code!),
        ).toBeNull();
        const changed = (await decoys()).filter(
          (row) => before.get(row.id) !== row.failedCodes,
        );
        expect(changed).toHaveLength(1);
      }
      const made = await decoys();
      expect(made.length).toBeGreaterThan(1);
      expect(made.length).toBeLessThanOrEqual(16);
      for (const decoy of made) {
        expect(decoy.revokedAt).toBe(now);
        expect(decoy.codeHash).toBeNull();
        expect(decoy.userId).toBe(decoy.id);
      }
      expect(await withCodes.findByCode('7', issued.code!)).not.toBeNull();
      expect(await decoys()).toHaveLength(made.length);
    });

    it('takes no more than three attempts for twenty wrong codes at once, and then refuses the right one', async () => {
      const issued = await withCodes.issue('7');
      const wrong = (i: number) =>
        String((Number(issued.code) + 1 + i) % 1e8).padStart(8, '0');
      const found = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          withCodes.findByCode('7', wrong(i)),
        ),
      );
      expect(found.every((token) => token === null)).toBe(true);
      expect((await rowOf(issued.tokenId)).failedCodes).toBe(3);
      expect(await withCodes.findByCode('7', issued.code!)).toBeNull();
      expect(await withCodes.find(issued.link)).toBeNull();
    });

    it('takes an attempt for each wrong code and none for a right one; after three wrong ones, code and link are dead', async () => {
      const issued = await withCodes.issue('7');
      const wrong = String((Number(issued.code) + 1) % 1e8).padStart(8, '0');
      expect(await withCodes.findByCode('7', wrong)).toBeNull();
      expect(await withCodes.findByCode('7', wrong)).toBeNull();
      expect(await withCodes.findByCode('7', issued.code!)).not.toBeNull();
      expect((await rowOf(issued.tokenId)).failedCodes).toBe(2);
      expect(await withCodes.find(issued.link)).not.toBeNull();
      expect(await withCodes.findByCode('7', wrong)).toBeNull();
      expect((await rowOf(issued.tokenId)).failedCodes).toBe(3);
      expect(await withCodes.findByCode('7', issued.code!)).toBeNull();
      expect(await withCodes.find(issued.link)).toBeNull();
      expect(await withCodes.consume(await rowOf(issued.tokenId))).toBe(false);
    });
  });
});
