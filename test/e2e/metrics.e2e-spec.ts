import request from 'supertest';
import { testDatabases } from '../support/databases';
import { newUser } from '../support/flow';
import { startTestServer, TestServer } from '../support/harness';
import { parsePrometheusText, valueOf } from '../support/prometheus-text';
import { tokenFrom } from '../support/smtp-sink';

// What is counted is the subject, not the platform: Express only.
describe.each(testDatabases())('GET /metrics (%s)', (databaseKind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('express', databaseKind, { env: { METRICS: 'true', IP_RATE_LIMIT: '4' } });
  });
  afterAll(() => server.close());

  it('counts what happened, in Prometheus text, without naming a user or a token', async () => {
    const user = await newUser(server);
    const statuses: number[] = [];
    const lostPassword = async (body: object | string) => {
      const res = await request(server.http).post('/auth/lostPassword').set('content-type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
      statuses.push(res.status);
    };
    await lostPassword({ username: user.username });
    await lostPassword({ username: user.email });
    await lostPassword({});
    await lostPassword(JSON.stringify({ username: 'x'.repeat(9000) }));
    while (!statuses.includes(429) && statuses.length < 20) await lostPassword({ username: 'nobody-at-all' });
    const tally = (status: number) => statuses.filter((answered) => answered === status).length;
    expect([tally(400), tally(413), tally(429)]).toEqual([1, 1, 1]);

    const mails = await server.smtp.waitForMails(user.email, 2);
    const token = tokenFrom(mails[1]);
    await request(server.http).post('/auth/resetPassword').send({ token: 'not-a-token', password: 'a fine new password 123' }).expect(400);
    await request(server.http).post('/auth/resetPassword').send({ token, password: 'password' }).expect(400);
    await request(server.http).post('/auth/resetPassword').send({ token, password: 'a fine new password 123' }).expect(200);
    await server.settle();
    await server.smtp.waitForMails(user.email, 3);

    const res = await request(server.http).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(res.text);
    expect(valueOf(samples, 'password_reset_requests_accepted_total')).toBe(tally(200));
    for (const status of [400, 413, 429]) expect(valueOf(samples, 'password_reset_requests_refused_total', { status: String(status) })).toBe(tally(status));
    expect(valueOf(samples, 'password_reset_resets_total')).toBe(1);
    expect(valueOf(samples, 'password_reset_resets_refused_total', { code: 'invalid_token' })).toBe(1);
    expect(valueOf(samples, 'password_reset_resets_refused_total', { code: 'weak_password' })).toBe(1);
    expect(valueOf(samples, 'password_reset_mails_sent_total', { kind: 'reset-password' })).toBe(2);
    expect(valueOf(samples, 'password_reset_mails_sent_total', { kind: 'password-changed' })).toBe(1);
    expect(valueOf(samples, 'password_reset_mails_dead_total', { kind: 'reset-password' })).toBe(0);
    expect(valueOf(samples, 'password_reset_mail_delivery_seconds_count', { kind: 'reset-password' })).toBe(2);
    expect(valueOf(samples, 'password_reset_mail_delivery_seconds_bucket', { kind: 'reset-password', le: '+Inf' })).toBe(2);
    expect(valueOf(samples, 'password_reset_queue_mails', { kind: 'reset-password', status: 'sent' })).toBe(2);
    expect(valueOf(samples, 'password_reset_queue_mails', { kind: 'reset-password', status: 'pending' })).toBe(0);
    expect(valueOf(samples, 'password_reset_queue_requests')).toBe(0);
    for (const secret of [user.username, user.email, token, token.split('.')[1], 'nobody-at-all']) expect(res.text).not.toContain(secret);
  });
});

describe('GET /metrics, not switched on', () => {
  it('is not there', async () => {
    const server = await startTestServer('express', 'sqlite');
    try {
      await request(server.http).get('/metrics').expect(404);
    } finally {
      await server.close();
    }
  });
});
