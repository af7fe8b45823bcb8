import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import * as argon2 from 'argon2';
import { availableParallelism } from 'node:os';
import { ServerBusyError } from '../common/errors/app.error';
import { authConfig } from '../config/auth.config';

/**
 * argon2id with OWASP's minimum profile (19 MiB, 2 passes). argon2 hashes on libuv's thread pool, so a burst
 * of logins does not stall the event loop. The same pool (four threads) runs the SQLite driver's queries, so
 * at most one hash fewer than there are cores (1 to 3) runs at a time: in a login flood, hashes filling the
 * whole pool made every other request wait behind them (GET /health p99 went from a few to hundreds of ms).
 * At most PASSWORD_HASH_QUEUE more wait for a slot; beyond that a hash is refused at once (503 SERVER_BUSY)
 * rather than queued behind minutes of work, and the queue (and its memory) cannot grow without bound.
 */
@Injectable()
export class PasswordHasher {
  private readonly options = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
  private readonly maxRunning = Math.max(1, Math.min(3, availableParallelism() - 1));
  private readonly maxWaiting: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** A running mean of how long a hash takes, to tell a refused caller when to come back. */
  private averageMs = 50;
  private dummyHash?: Promise<string>;

  constructor(@Inject(authConfig.KEY) config: ConfigType<typeof authConfig>) {
    this.maxWaiting = config.passwordHashQueue;
  }

  hash(password: string): Promise<string> {
    return this.limited(() => argon2.hash(password, this.options));
  }

  /** False for a wrong password; throws ServerBusyError when too many checks are waiting. */
  async verify(hash: string, password: string): Promise<boolean> {
    return this.limited(() => argon2.verify(hash, password).catch(() => false));
  }

  /** Spends the same time as a real check, so an unknown email cannot be told apart by how fast login fails. */
  async verifyNothing(password: string): Promise<false> {
    this.dummyHash ??= this.hash('not-a-real-password').catch((error: unknown) => {
      // Refused (busy): the next caller makes it again.
      this.dummyHash = undefined;
      throw error;
    });
    await this.verify(await this.dummyHash, password);
    return false;
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    // A finished hash hands its slot straight to the next waiter, so the limit holds at every moment.
    if (this.running < this.maxRunning) this.running += 1;
    else if (this.waiting.length < this.maxWaiting) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else throw new ServerBusyError(this.retryAfterSeconds());
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }

  /** About how long the queue now takes to drain. */
  private retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(((this.waiting.length + this.running) * this.averageMs) / this.maxRunning / 1000));
  }
}
