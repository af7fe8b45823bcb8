import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { RefreshToken } from './entities/refresh-token.entity';

@Injectable()
export class RefreshTokensRepository {
  constructor(@InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>) {}

  insert(
    token: Pick<RefreshToken, 'userId' | 'familyId' | 'tokenHash' | 'sessionVersion' | 'expiresAt'>,
    manager?: EntityManager,
  ): Promise<RefreshToken> {
    const tokens = manager ? manager.getRepository(RefreshToken) : this.tokens;
    return tokens.save(tokens.create({ ...token, rotatedAt: null, revokedAt: null, createdAt: new Date() }), {
      transaction: false,
    });
  }

  findByHash(tokenHash: string): Promise<RefreshToken | null> {
    return this.tokens.findOneBy({ tokenHash });
  }

  /**
   * Marks a live token as used. Returns false when another request got there first, which the caller
   * treats as reuse: the check and the write are one statement, so two racing refreshes cannot both win. Inside
   * the caller's transaction when given its manager.
   */
  async markRotated(id: string, manager?: EntityManager): Promise<boolean> {
    const tokens = manager ? manager.getRepository(RefreshToken) : this.tokens;
    const result = await tokens.update({ id, rotatedAt: IsNull(), revokedAt: IsNull() }, { rotatedAt: new Date() });
    return result.affected === 1;
  }
}
