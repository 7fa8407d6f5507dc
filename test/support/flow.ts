import request from 'supertest';
import type { TestServer } from './harness';
import { ReceivedMail, tokenFrom } from './smtp-sink';

let userCount = 0;

/** A fresh user of the standalone store, so that no test runs into another's per-account limit. */
export async function newUser(
  server: TestServer,
  password = 'correct horse battery staple',
): Promise<{ username: string; email: string; password: string }> {
  userCount += 1;
  const username = `user${userCount}-${Date.now()}`;
  const email = `${username}@example.com`;
  await server.users.add(username, email, password);
  return { username, email, password };
}

/** Asks for a reset through HTTP and returns the mail that arrived for it. */
export async function requestMail(
  server: Pick<TestServer, 'http' | 'smtp'>,
  username: string,
  email: string,
): Promise<ReceivedMail> {
  const before = server.smtp.mailsTo(email).length;
  await request(server.http)
    .post('/auth/lostPassword')
    .send({ username })
    .expect(200, {});
  const mails = await server.smtp.waitForMails(email, before + 1);
  return mails[mails.length - 1];
}

/** Asks for a reset through HTTP and returns the token of the link in the mail that arrived. */
export async function requestToken(
  server: TestServer,
  username: string,
  email: string,
): Promise<string> {
  return tokenFrom(await requestMail(server, username, email));
}
