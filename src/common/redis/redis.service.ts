import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import { appConfig } from '../../config/app.config';

/**
 * ioredis, loaded with the first connection rather than at start: a server without REDIS_URL never uses it, and
 * loading it (its command table) was a few percent of every start. A `require`, not `import()`, because
 * connections are opened synchronously, some from constructors.
 */
let loadedRedis: typeof Redis | undefined;
function redisClass(): typeof Redis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loadedRedis ??= (require('ioredis') as typeof import('ioredis')).default;
  return loadedRedis;
}

/** The longest pause between two attempts to reconnect to a Redis that is down. */
const REDIS_RETRY_MAX_MS = 300;

/**
 * Whether an error means Redis could not be reached (rather than a bug): such a request is answered 503, and
 * may be tried again. ioredis gives up on a command after `maxRetriesPerRequest` reconnections, or at once when
 * the connection was closed for good.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'MaxRetriesPerRequestError' || /^Connection is closed|^Stream isn't writeable/.test(error.message)
  );
}

/**
 * The connections to `REDIS_URL`, for what several processes must share. Without REDIS_URL `enabled` is false
 * and nothing connects: one process needs no Redis.
 *
 * One connection carries ordinary commands, auto-pipelined (commands issued in the same tick go out in one write,
 * so a delta costs no round trip of its own). Blocking reads and subscriptions take a connection each, since a
 * blocked connection carries nothing else.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  private readonly connections = new Set<Redis>();
  private commands?: Redis;
  private lastErrorLoggedAt = 0;
  /** Set at shutdown: nothing may open a connection that nobody would close. */
  private closed = false;

  constructor(@Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>) {}

  /** Every key this server writes starts with it (REDIS_KEY_PREFIX). */
  key(...parts: string[]): string {
    return this.config.redisKeyPrefix + parts.join(':');
  }

  get enabled(): boolean {
    return this.config.redisUrl !== null;
  }

  /** The shared connection for commands that return at once. */
  get client(): Redis {
    this.commands ??= this.connect('commands', { enableAutoPipelining: true });
    return this.commands;
  }

  /** A connection of the caller's own, for a blocking read or a subscription; `close` it when done. */
  connection(purpose: string): Redis {
    return this.connect(purpose, {});
  }

  async close(connection: Redis): Promise<void> {
    this.connections.delete(connection);
    // QUIT waits for a connection that is down to come back: such a one is dropped at once.
    if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
    else connection.disconnect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    // QUIT is never auto-pipelined, so it would overtake commands still waiting for their pipeline (ioredis runs
    // one at a time): the last writes of the shutdown, the ends of the generations it cut, would fail with
    // "Connection is closed". A PING queues behind them, and answers once they all have.
    if (this.commands?.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      // Bounded: a Redis that stopped answering must not hold the exit.
      await Promise.race([
        this.commands.ping().catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, 2_000))),
      ]);
      clearTimeout(timer);
    }
    await Promise.all([...this.connections].map((connection) => this.close(connection)));
    this.commands = undefined;
  }

  private connect(purpose: string, options: { enableAutoPipelining?: boolean }): Redis {
    if (this.config.redisUrl === null) throw new Error('REDIS_URL is not set');
    if (this.closed) throw new Error('the server is shutting down: Redis is closed');
    const connection = new (redisClass())(this.config.redisUrl, {
      ...options,
      connectionName: `colloquy-${purpose}`,
      // A command waits through a blip, then fails: a request must not hang on a Redis that is gone. It fails
      // after this many reconnections, tried at most REDIS_RETRY_MAX_MS apart: under a second while Redis is down,
      // where ioredis's defaults (20, up to 2 s apart) held a command for up to 40 s.
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 50, REDIS_RETRY_MAX_MS),
      // A Redis that does not answer at all (a host that drops packets) is given up on as quickly.
      connectTimeout: 2_000,
      // Closing a connection that is down waits this long for a socket that will never close (2 s by default).
      disconnectTimeout: 200,
    });
    // The URL may hold a password: errors are logged by their message only, and at most every 10 s.
    connection.on('error', (error: Error) => {
      const now = Date.now();
      if (now - this.lastErrorLoggedAt < 10_000) return;
      this.lastErrorLoggedAt = now;
      this.logger.error(`Redis (${purpose}): ${error.message}`);
    });
    this.connections.add(connection);
    return connection;
  }
}
