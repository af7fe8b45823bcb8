import { Module } from '@nestjs/common';
import { AppConfigModule } from '../config/config.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { DatabaseModule } from '../database/database.module';
import { SeedService } from './seed.service';
import { UsersModule } from '../users/users.module';

/**
 * The same modules as the server, minus HTTP; migrations run only when asked for, and a database that cannot be
 * opened fails the command at once.
 */
@Module({
  imports: [
    AppConfigModule,
    DatabaseModule.forRoot({ runMigrations: false, retryConnection: false }),
    UsersModule,
    ConversationsModule,
  ],
  providers: [SeedService],
})
export class CliModule {}
