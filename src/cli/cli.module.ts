import { Module } from '@nestjs/common';
import { AppConfigModule } from '../config/config.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { DatabaseModule } from '../database/database.module';
import { SeedService } from './seed.service';
import { UsersModule } from '../users/users.module';

/** The same modules as the server, minus HTTP; migrations run only when asked for. */
@Module({
  imports: [AppConfigModule, DatabaseModule.forRoot({ runMigrations: false }), UsersModule, ConversationsModule],
  providers: [SeedService],
})
export class CliModule {}
