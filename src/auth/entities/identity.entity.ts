import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An account at another provider (an OpenID Connect issuer, or GitHub) that signs in to a user here. It is found by
 * (issuer, subject), never by email: an email at a provider says nothing about who owns the account here.
 */
@Entity('user_identities')
export class Identity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  /** The provider's id in this server's configuration (`keycloak`, `github`). */
  @Column({ type: 'varchar', length: 64 })
  provider: string;

  @Column({ type: 'varchar', length: 255 })
  issuer: string;

  @Column({ type: 'varchar', length: 255 })
  subject: string;

  /** The address the provider gave at the last sign-in, shown to the owner; never used to match. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
