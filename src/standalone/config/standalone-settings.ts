import { randomBytes } from 'node:crypto';
import ms, { type StringValue } from 'ms';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EmlFileTransport, type PasswordResetMailTransport } from '../../index';
import { DEFAULT_DATABASE_URL } from '../database/database-options';

export type HttpPlatform = 'express' | 'fastify';

export interface StandaloneSettings {
  /** The HTTP platform Nest runs on; every route answers the same on both. */
  httpAdapter: HttpPlatform;
  port: number;
  databaseUrl: string;
  mailTransport: PasswordResetMailTransport;
  mailFrom: string;
  resetUrl: string;
  jwtSecret: string;
  tokenTtl: string;
  inviteTtl: string;
  /** Where a reset may lead back to (`returnUrls`); the module checks each entry at start. */
  returnUrls?: string[];
  ipRateLimit: number;
  resetIpRateLimit: number;
  redisUrl?: string;
  /** The language of pages for browsers that ask for none the module has, and of every mail (the standalone users have no locale). */
  defaultLanguage: string;
  /** Express's `trust proxy`, Fastify's `trustProxy`: whether, and which, proxies' X-Forwarded-For to believe. */
  trustProxy: boolean | number | string;
  /** PEM files: when set, the server speaks HTTPS on `port`, else plain HTTP. */
  tls?: TlsFiles;
  /** How long one delivery attempt may take, and how long a worker owns a mail it claimed. */
  delivery: { attemptTimeoutMs: number; leaseMs: number };
  /** Where `GET /metrics` answers, when it does: a listener of its own, never the public one. */
  metrics?: MetricsListenerSettings;
  /** A reset code in every reset mail, beside the link; digits 0: links only. */
  resetCode: { digits: number; attempts?: number };
  /** Base of a Pwned Passwords range service that new passwords are checked against. */
  breachedPasswordsUrl?: string;
  /** Whether the OpenAPI document (`/docs-json`) and Swagger UI (`/docs`) are served. */
  docs: boolean;
  /** How long a client may take to send a request's headers, and the whole request; then it gets 408 and the connection closes. */
  requestTimeouts: RequestTimeouts;
}

export interface RequestTimeouts {
  headersMs: number;
  requestMs: number;
}

export interface MetricsListenerSettings {
  port: number;
  host: string;
  /** When set, a scrape must send `Authorization: Bearer` and this token. */
  token?: string;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

const JWT_SECRET_FILE = 'var/jwt-secret';

/** Outside production a secret is made once and kept, so links survive a restart. */
function jwtSecret(env: NodeJS.ProcessEnv): string {
  if (env.JWT_SECRET) {
    if (env.JWT_SECRET.length < 32)
      throw new Error('JWT_SECRET must be at least 32 characters');
    return env.JWT_SECRET;
  }
  if (env.NODE_ENV === 'production')
    throw new Error('JWT_SECRET is required when NODE_ENV=production');
  if (!existsSync(JWT_SECRET_FILE)) {
    mkdirSync(dirname(JWT_SECRET_FILE), { recursive: true });
    writeFileSync(JWT_SECRET_FILE, randomBytes(48).toString('base64url'), {
      mode: 0o600,
      flag: 'wx',
    });
  }
  return readFileSync(JWT_SECRET_FILE, 'utf8').trim();
}

/** Mail written to files is never sent and the files hold live links: in production only when MAIL_DIR asks for it. */
function mailTransport(env: NodeJS.ProcessEnv): PasswordResetMailTransport {
  if (!env.SMTP_URL) {
    if (env.NODE_ENV === 'production' && !env.MAIL_DIR) {
      throw new Error(
        'SMTP_URL is required when NODE_ENV=production (set MAIL_DIR instead to have each mail, live reset link included, written to a file there)',
      );
    }
    return new EmlFileTransport(env.MAIL_DIR || 'var/mail');
  }
  const url = new URL(env.SMTP_URL);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw new Error('SMTP_URL must be an smtp:// or smtps:// URL');
  return env.SMTP_URL;
}

function nonNegativeInteger(
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0)
    throw new Error(`${name} must be a whole number`);
  return parsed;
}

/** Links are bearer secrets: in production they travel over https only, unless the operator says otherwise. */
function resetUrl(
  env: NodeJS.ProcessEnv,
  port: number,
  tls: TlsFiles | undefined,
): string {
  const url =
    env.RESET_URL ||
    `${tls ? 'https' : 'http'}://localhost:${port}/auth/resetPassword`;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new Error('RESET_URL must be an http(s) URL');
  if (
    env.NODE_ENV === 'production' &&
    parsed.protocol !== 'https:' &&
    env.ALLOW_INSECURE_RESET_URL !== 'true'
  ) {
    throw new Error(
      'RESET_URL must be https when NODE_ENV=production (set ALLOW_INSECURE_RESET_URL=true to override)',
    );
  }
  return url;
}

function commaSeparated(value: string | undefined): string[] | undefined {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.length > 0 ? entries : undefined;
}

function duration(
  name: string,
  value: string | undefined,
  fallback: string,
): number {
  const parsed = ms((value || fallback) as StringValue);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`${name} must be a duration such as 90s or 2m`);
  return parsed;
}

/** Node requires the headers' bound to be within the whole request's. */
function requestTimeouts(env: NodeJS.ProcessEnv): RequestTimeouts {
  const headersMs = duration('HEADERS_TIMEOUT', env.HEADERS_TIMEOUT, '10s');
  const requestMs = duration('REQUEST_TIMEOUT', env.REQUEST_TIMEOUT, '30s');
  if (headersMs > requestMs)
    throw new Error('HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT');
  return { headersMs, requestMs };
}

function flag(
  name: string,
  value: string | undefined,
  fallback = false,
): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`${name} must be true or false`);
}

function httpAdapter(value: string | undefined): HttpPlatform {
  if (!value) return 'express';
  if (value === 'express' || value === 'fastify') return value;
  throw new Error('HTTP_ADAPTER must be express or fastify');
}

function trustProxy(value: string | undefined): boolean | number | string {
  if (!value || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Half a TLS setting would quietly serve plain HTTP where HTTPS was meant, so it stops the start. */
function tlsFiles(env: NodeJS.ProcessEnv): TlsFiles | undefined {
  const { TLS_CERT: certFile, TLS_KEY: keyFile } = env;
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile)
    throw new Error(
      'TLS_CERT and TLS_KEY go together: set both (PEM file paths) for HTTPS, or neither for plain HTTP',
    );
  return { certFile, keyFile };
}

/** Outside 6 to 10 digits a code is too easy to guess or too long to type: the start stops. */
function resetCode(env: NodeJS.ProcessEnv): StandaloneSettings['resetCode'] {
  const { RESET_CODE_DIGITS: digits, RESET_CODE_ATTEMPTS: attempts } = env;
  const within = (value: string, min: number, max: number) =>
    /^[0-9]+$/.test(value) && Number(value) >= min && Number(value) <= max;
  if (digits && digits !== '0' && !within(digits, 6, 10))
    throw new Error(
      'RESET_CODE_DIGITS must be 6 to 10, or unset or 0 for links only',
    );
  if (attempts && !within(attempts, 1, 1000))
    throw new Error('RESET_CODE_ATTEMPTS must be 1 to 1000');
  return {
    digits: digits ? Number(digits) : 0,
    attempts: attempts ? Number(attempts) : undefined,
  };
}

function breachedPasswordsUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new Error(
      'BREACHED_PASSWORDS_URL must be an http(s) URL, such as https://api.pwnedpasswords.com',
    );
  return value;
}

/**
 * The counters tell, to whoever reads them while sending requests, which
 * names have an account (a known one makes a mail): they get a listener of
 * their own, on loopback unless `METRICS_HOST` says otherwise.
 */
function metricsListener(
  env: NodeJS.ProcessEnv,
  publicPort: number,
): MetricsListenerSettings | undefined {
  if (!flag('METRICS', env.METRICS)) {
    if (env.METRICS_PORT || env.METRICS_HOST || env.METRICS_TOKEN)
      throw new Error(
        'METRICS_PORT, METRICS_HOST and METRICS_TOKEN need METRICS=true',
      );
    return undefined;
  }
  const port = nonNegativeInteger('METRICS_PORT', env.METRICS_PORT, 9464);
  if (port !== 0 && port === publicPort)
    throw new Error(
      'METRICS_PORT must differ from PORT: the metrics never share the public listener',
    );
  const token = env.METRICS_TOKEN || undefined;
  if (token !== undefined && token.length < 32)
    throw new Error('METRICS_TOKEN must be at least 32 characters');
  return { port, host: env.METRICS_HOST || '127.0.0.1', token };
}

/** The standalone server's settings, from its environment variables (see the README). */
export function standaloneSettings(
  env: NodeJS.ProcessEnv = process.env,
): StandaloneSettings {
  const port = nonNegativeInteger('PORT', env.PORT, 8090);
  const tls = tlsFiles(env);
  return {
    httpAdapter: httpAdapter(env.HTTP_ADAPTER),
    port,
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    mailTransport: mailTransport(env),
    mailFrom: env.MAIL_FROM || 'no-reply@localhost',
    resetUrl: resetUrl(env, port, tls),
    jwtSecret: jwtSecret(env),
    tokenTtl: env.RESET_TOKEN_TTL || '30m',
    inviteTtl: env.INVITE_TOKEN_TTL || '72h',
    returnUrls: commaSeparated(env.RETURN_URLS),
    ipRateLimit: nonNegativeInteger('IP_RATE_LIMIT', env.IP_RATE_LIMIT, 10),
    resetIpRateLimit: nonNegativeInteger(
      'RESET_IP_RATE_LIMIT',
      env.RESET_IP_RATE_LIMIT,
      30,
    ),
    redisUrl: env.REDIS_URL || undefined,
    defaultLanguage: env.DEFAULT_LANGUAGE || 'en',
    trustProxy: trustProxy(env.TRUST_PROXY),
    tls,
    delivery: {
      attemptTimeoutMs: duration(
        'MAIL_ATTEMPT_TIMEOUT',
        env.MAIL_ATTEMPT_TIMEOUT,
        '60s',
      ),
      leaseMs: duration('MAIL_LEASE', env.MAIL_LEASE, '2m'),
    },
    metrics: metricsListener(env, port),
    resetCode: resetCode(env),
    breachedPasswordsUrl: breachedPasswordsUrl(env.BREACHED_PASSWORDS_URL),
    docs: flag('DOCS', env.DOCS, true),
    requestTimeouts: requestTimeouts(env),
  };
}
