import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { dateParam } from '../database/date-param';
import { PasswordResetToken } from './entities/password-reset-token.entity';

@Injectable()
export class PasswordResetTokensRepository {
  constructor(
    @InjectRepository(PasswordResetToken) private readonly tokens: Repository<PasswordResetToken>,
    private readonly dataSource: DataSource,
  ) {}

  /** Inside the caller's transaction when given its manager (the token and the mail announcing it go together). */
  async insert(
    token: Pick<PasswordResetToken, 'userId' | 'tokenHash' | 'sessionVersion' | 'expiresAt'>,
    manager?: EntityManager,
  ) {
    const repository = manager ? manager.getRepository(PasswordResetToken) : this.tokens;
    await repository.insert({ ...token, usedAt: null, createdAt: new Date() });
  }

  /** The token with this hash if it is neither used nor expired at `now`. */
  findUsable(tokenHash: string, now: Date): Promise<PasswordResetToken | null> {
    return this.tokens
      .createQueryBuilder('t')
      .where('t.token_hash = :tokenHash AND t.used_at IS NULL AND t.expires_at > :now', {
        tokenHash,
        now: dateParam(this.dataSource, now),
      })
      .getOne();
  }

  /**
   * Uses the token up. Returns false when it was already used or has expired meanwhile: the check and the write
   * are one statement, so two requests racing with one link cannot both set a password.
   */
  async consume(id: string, now: Date): Promise<boolean> {
    const result = await this.tokens
      .createQueryBuilder()
      .update(PasswordResetToken)
      .set({ usedAt: now })
      .where('id = :id AND used_at IS NULL AND expires_at > :now', { id, now: dateParam(this.dataSource, now) })
      .execute();
    return result.affected === 1;
  }

  /** Retires every link of the user still open: once the password is reset, older mails open nothing. */
  async retireAllOfUser(userId: string, now: Date): Promise<void> {
    await this.tokens
      .createQueryBuilder()
      .update(PasswordResetToken)
      .set({ usedAt: now })
      .where('user_id = :userId AND used_at IS NULL', { userId })
      .execute();
  }
}
