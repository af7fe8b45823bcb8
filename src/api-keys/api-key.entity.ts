import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A personal API key for the OpenAI-compatible routes. The key itself is shown once and never stored: only
 * its SHA-256 (keys carry 256 random bits, so a fast hash is enough) and a short prefix to recognise it by.
 */
@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** The first characters of the key, e.g. `ck_3fA9xQ2b`, so that its owner can tell keys apart. */
  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  @Column({ name: 'key_hash', type: 'varchar', length: 64, unique: true })
  keyHash: string;

  @Column({ name: 'created_at' })
  createdAt: Date;

  /** Updated at most once a minute, so that a busy key does not write on every request. */
  @Column({ name: 'last_used_at', nullable: true, type: Date })
  lastUsedAt: Date | null;

  @Column({ name: 'expires_at', nullable: true, type: Date })
  expiresAt: Date | null;
}
