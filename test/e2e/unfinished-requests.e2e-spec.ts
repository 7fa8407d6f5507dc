import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import request from 'supertest';
import { startTestServer, TestServer } from '../support/harness';
import { testPlatforms } from '../support/platforms';

const DRIP_INTERVAL_MS = 250;
/** Far past the bounds the server is given below, so only the server can end the connection in time. */
const DRIPS = 40;

/**
 * Sends `head`, then one byte every DRIP_INTERVAL_MS, as a slowloris client
 * does, until the server closes the connection or DRIPS bytes are sent.
 */
function drip(
  port: number,
  head: string,
): Promise<{ closedByServer: boolean; received: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    const timer = setInterval(() => {
      if (sent++ < DRIPS) return void socket.write('a');
      clearInterval(timer);
      socket.destroy();
      resolve({ closedByServer: false, received });
    }, DRIP_INTERVAL_MS);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ closedByServer: true, received });
    });
  });
}

const TIMED_OUT = {
  status: 'HTTP/1.1 408 Request Timeout',
  body: {
    statusCode: 408,
    error: 'Request Timeout',
    message: 'the request did not arrive in time',
    code: 'request_timeout',
  },
};

function parsed(response: string): { status: string; body: unknown } {
  const [head, body] = response.split('\r\n\r\n');
  return { status: head.split('\r\n')[0], body: JSON.parse(body) };
}

/** Sends `raw` and reads the answer until the server closes the connection. */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

/** Requests that never arrive whole, or never were HTTP: answered, the same way on both platforms, and closed. */
describe.each(testPlatforms())(
  'unfinished and malformed requests (%s)',
  (platform) => {
    let server: TestServer;
    let port: number;

    beforeAll(async () => {
      server = await startTestServer(platform, 'sqlite', {
        env: { HEADERS_TIMEOUT: '1s', REQUEST_TIMEOUT: '2s' },
      });
      await server.app.listen(0, '127.0.0.1');
      port = (server.http.address() as AddressInfo).port;
    });
    afterAll(() => server.close());

    it('a slow client is answered 408 and disconnected when a small body does not arrive within REQUEST_TIMEOUT', async () => {
      const head =
        'POST /auth/lostPassword HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"username":"';
      const { closedByServer, received } = await drip(port, head);
      expect(closedByServer).toBe(true);
      expect(parsed(received)).toEqual(TIMED_OUT);
    });

    it('a slow client is answered 408 and disconnected when the headers do not arrive within HEADERS_TIMEOUT', async () => {
      const { closedByServer, received } = await drip(
        port,
        'POST /auth/lostPassword HTTP/1.1\r\nHost: localhost\r\nX-Slow: ',
      );
      expect(closedByServer).toBe(true);
      expect(parsed(received)).toEqual(TIMED_OUT);
    });

    it('a slow client leaves the server answering others meanwhile', async () => {
      const slow = drip(
        port,
        'POST /auth/lostPassword HTTP/1.1\r\nHost: localhost\r\nX-Slow: ',
      );
      await request(server.http)
        .post('/auth/lostPassword')
        .send({ username: 'someone' })
        .expect(200, {});
      expect((await slow).closedByServer).toBe(true);
    });

    it('something that is not HTTP, or headers past 16 kB, get a JSON error in the format of every other, and the connection closes', async () => {
      expect(parsed(await exchange(port, 'NOT HTTP AT ALL\r\n\r\n'))).toEqual({
        status: 'HTTP/1.1 400 Bad Request',
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: 'the request is not well-formed HTTP',
          code: 'malformed_request',
        },
      });
      expect(
        parsed(
          await exchange(
            port,
            `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`,
          ),
        ),
      ).toEqual({
        status: 'HTTP/1.1 431 Request Header Fields Too Large',
        body: {
          statusCode: 431,
          error: 'Request Header Fields Too Large',
          message: 'the request headers are too large',
          code: 'headers_too_large',
        },
      });
    });
  },
);
