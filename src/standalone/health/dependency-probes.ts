import { OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { createTransport } from 'nodemailer';

/** Long enough for a dependency on the same network, short enough that a silent one does not hold /health. */
const PROBE_TIMEOUT_MS = 2000;

/** A dependency besides the database that /health names: up or down, never why. */
export interface DependencyProbe {
  readonly name: string;
  isUp(): Promise<boolean>;
}

/** The SMTP server: it greets and answers EHLO (nodemailer's verify). */
export class SmtpProbe implements DependencyProbe {
  readonly name = 'mail';

  constructor(private readonly smtpUrl: string) {}

  async isUp(): Promise<boolean> {
    const transport = createTransport({
      url: this.smtpUrl,
      connectionTimeout: PROBE_TIMEOUT_MS,
      greetingTimeout: PROBE_TIMEOUT_MS,
      socketTimeout: PROBE_TIMEOUT_MS,
    } as Parameters<typeof createTransport>[0]);
    try {
      return await transport.verify();
    } catch {
      return false;
    } finally {
      transport.close();
    }
  }
}

/** Redis, which holds the shared per-IP counters: it answers PING on a connection of the probe's own. */
export class RedisProbe implements DependencyProbe, OnApplicationShutdown {
  readonly name = 'redis';
  private readonly client: Redis;

  constructor(redisUrl: string) {
    this.client = new Redis(redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: PROBE_TIMEOUT_MS,
      commandTimeout: PROBE_TIMEOUT_MS,
    });
    // Down is an answer of isUp(), not an error to report again on every reconnection.
    this.client.on('error', () => undefined);
  }

  async isUp(): Promise<boolean> {
    try {
      if (this.client.status === 'wait' || this.client.status === 'end')
        await this.client.connect();
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  onApplicationShutdown(): void {
    this.client.disconnect();
  }
}
