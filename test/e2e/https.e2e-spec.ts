import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, ConnectionOptions } from 'node:tls';
import { inspect } from 'node:util';
import { required } from '../support/debian-package';
import { pythonWithRequests } from '../support/python-requests';
import {
  CertificateFiles,
  makeSelfSignedCertificate,
} from '../support/self-signed-certificate';
import { testPlatforms } from '../support/platforms';
import { ServerProcess } from '../support/server-process';

/**
 * The Tangerine365 API document names its server `https://localhost:8090`: the built standalone
 * server, given TLS_CERT and TLS_KEY, answers that document's own Python and
 * JavaScript examples, copied unchanged into test/fixtures/tangerine365-clients.
 */

// The API document's examples have the port in their URL.
const DOCUMENTED_PORT = 8090;
const DOCUMENTED_CLIENTS = resolve(
  __dirname,
  '..',
  'fixtures',
  'tangerine365-clients',
);
const USERNAME_REQUIRED = {
  statusCode: 400,
  error: 'Bad Request',
  message: 'username is required',
  code: 'invalid_request',
};

async function assertDocumentedPortFree(): Promise<void> {
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) =>
      probe.once('error', reject).listen(DOCUMENTED_PORT, resolve),
    );
  } catch (error) {
    throw new Error(
      `The HTTPS test needs port ${DOCUMENTED_PORT}, the one in the Tangerine365 API's client examples, and it is taken (${(error as Error).message}): stop what listens there.`,
    );
  }
  await new Promise((resolve) => probe.close(resolve));
}

function runClient(
  command: string,
  script: string,
  env: Record<string, string>,
): { stdout: string; stderr: string } {
  const { stdout, stderr } = spawnSync(
    command,
    [join(DOCUMENTED_CLIENTS, script)],
    { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20000 },
  );
  return { stdout, stderr };
}

function post(
  url: string,
  ca: Buffer,
  body: string,
): Promise<{ status?: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        ca,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode,
            headers: response.headers,
            body: text,
          }),
        );
      },
    );
    outgoing.on('error', reject).end(body);
  });
}

/** The protocol the server agreed to, or the error that ended the handshake. */
function handshake(options: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(options, () => {
      resolve(socket.getProtocol() ?? 'none');
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe.each(testPlatforms())(
  "HTTPS with TLS_CERT and TLS_KEY, at the Tangerine365 API's https://localhost:8090 (%s)",
  (platform) => {
    jest.setTimeout(60000);

    const workDir = mkdtempSync(join(tmpdir(), 'password-reset-https-'));
    let python: string;
    let certificate: CertificateFiles;
    let ca: Buffer;
    let server: ServerProcess;

    beforeAll(async () => {
      python = required(pythonWithRequests);
      certificate = makeSelfSignedCertificate(workDir);
      ca = readFileSync(certificate.certFile);
      await assertDocumentedPortFree();
      server = new ServerProcess({
        HTTP_ADAPTER: platform,
        PORT: String(DOCUMENTED_PORT),
        TLS_CERT: certificate.certFile,
        TLS_KEY: certificate.keyFile,
        JWT_SECRET: 'https-test-secret-https-test-secret-https-test-secret',
      });
      await server.start();
    });

    afterAll(async () => {
      await server?.stop();
      if (server) rmSync(server.cwd, { recursive: true, force: true });
      rmSync(workDir, { recursive: true, force: true });
    });

    it("answers the API document's Python example, unchanged, with the documented 400 for its empty form body", () => {
      // print(response.json()) shows the JSON answer as a Python dict.
      expect(
        runClient(python, 'lost_password.py', {
          REQUESTS_CA_BUNDLE: certificate.certFile,
        }),
      ).toEqual({
        stdout:
          "{'statusCode': 400, 'error': 'Bad Request', 'message': 'username is required', 'code': 'invalid_request'}\n",
        stderr: '',
      });
    });

    it("answers the API document's JavaScript example, unchanged, with the documented 400 for its empty form body", () => {
      // console.log(data) shows the JSON answer as util.inspect does; the example prints a failed fetch to stderr.
      expect(
        runClient(process.execPath, 'lost-password.mjs', {
          NODE_EXTRA_CA_CERTS: certificate.certFile,
        }),
      ).toEqual({
        stdout: `${inspect(USERNAME_REQUIRED)}\n`,
        stderr: '',
      });
    });

    it('answers a request with a username 200 {}, with Strict-Transport-Security', async () => {
      const response = await post(
        `https://localhost:${DOCUMENTED_PORT}//auth/lostPassword`,
        ca,
        'username=alice',
      );
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({});
      expect(response.headers['strict-transport-security']).toBe(
        'max-age=31536000; includeSubDomains',
      );
    });

    it('refuses TLS 1.1 and accepts TLS 1.2 from the same client', async () => {
      // SECLEVEL=0 lets this client offer TLS 1.1 at all, so the refusal is the server's (its protocol_version alert).
      const client = {
        host: '127.0.0.1',
        port: DOCUMENTED_PORT,
        servername: 'localhost',
        ca,
        ciphers: 'DEFAULT@SECLEVEL=0',
        minVersion: 'TLSv1',
      } as const;
      await expect(
        handshake({ ...client, maxVersion: 'TLSv1.1' }),
      ).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
      await expect(
        handshake({ ...client, maxVersion: 'TLSv1.2' }),
      ).resolves.toBe('TLSv1.2');
    });
  },
);
