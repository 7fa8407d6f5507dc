// The peer for bench/throughput.mjs: better-auth's email-and-password flow,
// the library a Nest user might pick instead. bench/peer.mjs installs
// better-auth from the npm registry into bench/.peer/ (not tracked) and runs
// this file from there, so its imports resolve to that install.
//
// Configured for a fair comparison: SQLite in WAL mode through better-sqlite3
// (as our standalone server), its rate limit off (ours is off in the bench
// too), logging off, and a sendResetPassword that only counts (ours writes an
// .eml file after the answer). KNOWN_EMAIL is signed up at start;
// `GET /bench/stats` says how many reset mails it would have sent.
import { createServer } from 'node:http';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import Database from 'better-sqlite3';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0)
  throw new Error('PORT must be set to a port number');
const { KNOWN_EMAIL, KNOWN_PASSWORD, DATABASE_FILE, AUTH_SECRET } = process.env;

const database = new Database(DATABASE_FILE);
database.pragma('journal_mode = WAL');

let resetMailsRecorded = 0;
const options = {
  baseURL: `http://127.0.0.1:${port}`,
  secret: AUTH_SECRET,
  database,
  logger: { disabled: true },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  emailAndPassword: {
    enabled: true,
    sendResetPassword: async () => {
      resetMailsRecorded++;
    },
  },
};

const { runMigrations } = await getMigrations(options);
await runMigrations();
const auth = betterAuth(options);
await auth.api.signUpEmail({
  body: { email: KNOWN_EMAIL, password: KNOWN_PASSWORD, name: 'bench' },
});

const authHandler = toNodeHandler(auth);
const server = createServer((request, response) => {
  if (request.url === '/bench/stats') {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ resetMailsRecorded }));
    return;
  }
  authHandler(request, response);
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => database.close()));
