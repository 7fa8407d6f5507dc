import { once } from 'node:events';
import { connect, createServer, Server, Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream?: Socket;
  /** Forwards nothing, in either direction, for the rest of its life. */
  blackHoled: boolean;
  /** The server has sent something on this connection (its greeting, first). */
  greeted?: boolean;
  /** The client sent the message's final dot; the server's answer to it ends the connection. */
  dropOnReply?: boolean;
}

/** Where an SMTP session can be dropped: before the greeting, on each envelope command, or once the server answered the message's final dot. */
export type SmtpStage =
  'greeting' | 'MAIL FROM' | 'RCPT TO' | 'DATA' | 'final dot';

/**
 * A TCP proxy between the server and one of its dependencies (PostgreSQL,
 * MariaDB, SMTP, Redis) that can fail as networks do. Cut, it drops every
 * connection and stops listening, so new ones are refused: a dependency that
 * is down. Healing listens on the same port again. Black-holed, it keeps accepting connections and holding every socket
 * open, but forwards nothing either way: what a hung database or a network
 * that silently drops packets looks like to a client, which gets no error,
 * only silence. Healing forwards new connections again, while those that were
 * black-holed stay dead (their packets are lost for good), so a client only
 * recovers if it lets go of them.
 */
export class FaultProxy {
  /** Bytes the server sent through, for counting statements. */
  private forwarded = '';
  private blackHoled = false;
  private isCut = false;
  private readonly pairs = new Set<Pair>();
  private smtpDropStage?: SmtpStage;
  /** Connections the server opened through the proxy. */
  connectionsOpened = 0;
  /**
   * Hides the SMTP server's PIPELINING, so that the client sends MAIL FROM,
   * RCPT TO and DATA one at a time and a session can be dropped at each.
   */
  hideSmtpPipelining = false;
  /** Holds everything it forwards, either way, this long: a slow network. */
  latencyMs = 0;

  private constructor(
    private readonly server: Server,
    /** The service's URL with the proxy's port. */
    readonly url: string,
  ) {}

  /** A proxy in front of the service of `serviceUrl` (postgres://, mariadb://, smtp://, redis://, with host and port). */
  static async start(serviceUrl: string): Promise<FaultProxy> {
    const target = new URL(serviceUrl);
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const through = new URL(serviceUrl);
    through.port = String((server.address() as { port: number }).port);
    const proxy = new FaultProxy(server, through.href);
    server.on('connection', (client) =>
      proxy.accept(client, target.hostname, Number(target.port)),
    );
    return proxy;
  }

  blackHole(): void {
    this.blackHoled = true;
    for (const pair of this.pairs) pair.blackHoled = true;
  }

  cut(): void {
    this.isCut = true;
    this.server.close();
    for (const pair of this.pairs) this.close(pair);
  }

  heal(): void {
    this.blackHoled = false;
    if (this.isCut)
      this.server.listen(Number(new URL(this.url).port), '127.0.0.1');
    this.isCut = false;
  }

  /**
   * Drops the next SMTP session that reaches `stage`, without passing on what
   * reached it: the greeting, the client's command, or the server's answer to
   * the final dot (the server has the message; the client never hears so).
   */
  dropSmtpAt(stage: SmtpStage): void {
    this.smtpDropStage = stage;
  }

  /** Black-holed connections that the server still holds open. */
  get deadConnections(): number {
    return [...this.pairs].filter((pair) => pair.blackHoled).length;
  }

  /** How often the server sent this statement to the database. */
  timesSent(statement: string): number {
    return this.forwarded.split(statement).length - 1;
  }

  async stop(): Promise<void> {
    for (const pair of this.pairs) this.close(pair);
    if (this.server.listening)
      await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, host: string, port: number): void {
    const pair: Pair = { client, blackHoled: this.blackHoled };
    this.pairs.add(pair);
    this.connectionsOpened += 1;
    client
      .on('error', () => this.close(pair))
      .on('close', () => this.close(pair));
    // A black-holed socket still reads, so the sender never sees back-pressure: only silence.
    client.on('data', (chunk: Buffer) => {
      if (pair.blackHoled) return;
      const sent = chunk.toString('latin1');
      if (
        this.smtpDropStage &&
        this.smtpDropStage !== 'greeting' &&
        this.smtpDropStage !== 'final dot' &&
        sent.split('\r\n').some((line) => line.startsWith(this.smtpDropStage!))
      ) {
        this.smtpDropStage = undefined;
        return this.close(pair);
      }
      if (this.smtpDropStage === 'final dot' && sent.endsWith('\r\n.\r\n')) {
        this.smtpDropStage = undefined;
        pair.dropOnReply = true;
      }
      this.forwarded += sent;
      this.afterLatency(() => pair.upstream!.write(chunk));
    });
    if (pair.blackHoled) return;
    client.pause();
    pair.upstream = connect(port, host, () => client.resume());
    pair.upstream
      .on('error', () => this.close(pair))
      .on('close', () => this.close(pair));
    pair.upstream.on('data', (chunk: Buffer) => {
      const greeting = !pair.greeted;
      pair.greeted = true;
      if ((greeting && this.smtpDropStage === 'greeting') || pair.dropOnReply) {
        if (greeting) this.smtpDropStage = undefined;
        return this.close(pair);
      }
      if (pair.blackHoled) return;
      const reply = this.hideSmtpPipelining
        ? Buffer.from(
            chunk.toString('latin1').replace(/^250-PIPELINING\r\n/m, ''),
            'latin1',
          )
        : chunk;
      this.afterLatency(() => client.write(reply));
    });
  }

  /** Timers of equal delay fire in the order they were set, so the bytes keep theirs. */
  private afterLatency(forward: () => void): void {
    if (this.latencyMs === 0) forward();
    else setTimeout(forward, this.latencyMs);
  }

  /** Either end closing closes both: a dead database connection stays open only as long as the server keeps it. */
  private close(pair: Pair): void {
    pair.client.destroy();
    pair.upstream?.destroy();
    this.pairs.delete(pair);
  }
}
