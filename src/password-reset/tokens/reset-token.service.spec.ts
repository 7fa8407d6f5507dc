import { createHash } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { ResetToken } from './reset-token.entity';
import { ResetTokenService } from './reset-token.service';
import { ResetTokenSettings } from './reset-token.settings';
import { PASSWORD_RESET_MIGRATIONS } from '../password-reset.migrations';
import { PASSWORD_RESET_ENTITIES } from '../password-reset.entities';

const SECRET = 'unit-test-secret-unit-test-secret-unit-test';

describe('ResetTokenService', () => {
  let dataSource: DataSource;
  let now: number;
  let tokens: ResetTokenService;

  beforeEach(async () => {
    dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: PASSWORD_RESET_ENTITIES,
      migrations: PASSWORD_RESET_MIGRATIONS,
      migrationsRun: true,
    }).initialize();
    now = Date.UTC(2026, 10, 27, 12);
    tokens = new ResetTokenService(
      dataSource.getRepository(ResetToken),
      new JwtService({ secret: SECRET }),
      { now: () => now },
      new ResetTokenSettings('30m'),
    );
  });
  afterEach(() => dataSource.destroy());

  const claimsOf = (link: string) => JSON.parse(Buffer.from(link.split('.')[1], 'base64url').toString());

  it('makes 32 random bytes, stores only their SHA-256, and binds token id, user, purpose and expiry in the JWT', async () => {
    const issued = await tokens.issue('42');
    const claims = claimsOf(issued.link);
    const raw = Buffer.from(claims.tok, 'base64url');
    expect(raw).toHaveLength(32);
    expect(claims).toMatchObject({ sub: '42', jti: issued.tokenId, purpose: 'password-reset', exp: Math.floor((now + 30 * 60000) / 1000) });
    const row = await dataSource.getRepository(ResetToken).findOneByOrFail({ id: issued.tokenId });
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
    const forged = new JwtService({ secret: 'another-secret-another-secret-another' });
    expect(await tokens.find(await forged.signAsync(claims))).toBeNull();
    const signer = new JwtService({ secret: SECRET });
    expect(await tokens.find(await signer.signAsync({ ...claims, purpose: 'email-confirmation' }))).toBeNull();
    expect(await tokens.find(await signer.signAsync({ ...claims, sub: '8' }))).toBeNull();
    expect(await tokens.find(await signer.signAsync({ ...claims, tok: Buffer.alloc(32).toString('base64url') }))).toBeNull();
    const [header, , signature] = issued.link.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...claims, sub: '8' })).toString('base64url');
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
});
