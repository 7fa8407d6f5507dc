import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';

// The servers `npm test` uses (README, Tests), overridable the same way.
const servers = {
  postgres: new URL(
    process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  ),
  mariadb: new URL(
    process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test',
  ),
};

async function onServer(kind, url, work) {
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: url.href });
    await client.connect();
    try {
      return await work((sql) => client.query(sql));
    } finally {
      await client.end();
    }
  }
  const connection = await mysql.createConnection(url.href);
  try {
    return await work((sql) => connection.query(sql));
  } finally {
    await connection.end();
  }
}

/** A fresh, empty database on the postgres or mariadb test server: its URL, a way to run SQL in it, and `drop`. */
export async function createDatabase(kind) {
  const server = servers[kind];
  const name = `pr_package_${randomBytes(6).toString('hex')}`;
  await onServer(kind, server, (query) => query(`CREATE DATABASE ${name}`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    query: (sql) => onServer(kind, url, (query) => query(sql)),
    drop: () =>
      onServer(kind, server, (query) => query(`DROP DATABASE ${name}`)),
  };
}
