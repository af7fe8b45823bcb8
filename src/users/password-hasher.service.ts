import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { availableParallelism } from 'node:os';

/**
 * argon2id with OWASP's minimum profile (19 MiB, 2 passes). argon2 hashes on libuv's thread pool, so a burst
 * of logins does not stall the event loop. The same pool (four threads) runs the SQLite driver's queries, so
 * at most one hash fewer than there are cores (1 to 3) runs at a time: in a login flood, hashes filling the
 * whole pool made every other request wait behind them (GET /health p99 went from a few to hundreds of ms).
 */
@Injectable()
export class PasswordHasher {
  private readonly options = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
  private readonly maxRunning = Math.max(1, Math.min(3, availableParallelism() - 1));
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private dummyHash?: Promise<string>;

  hash(password: string): Promise<string> {
    return this.limited(() => argon2.hash(password, this.options));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.limited(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }

  /** Spends the same time as a real check, so an unknown email cannot be told apart by how fast login fails. */
  async verifyNothing(password: string): Promise<false> {
    this.dummyHash ??= this.hash('not-a-real-password');
    await this.verify(await this.dummyHash, password);
    return false;
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    // A finished hash hands its slot straight to the next waiter, so the limit holds at every moment.
    if (this.running >= this.maxRunning) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
