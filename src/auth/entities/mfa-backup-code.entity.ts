import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One single-use backup code for two-factor sign-in; only its SHA-256 is kept. */
@Entity('mfa_backup_codes')
export class MfaBackupCode {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ name: 'used_at', nullable: true, type: Date })
  usedAt: Date | null;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
