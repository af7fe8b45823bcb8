import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditLogModule } from '../common/audit/audit-log.module';
import { WindowCountersModule } from '../common/throttling/window-counters.module';
import { FilesModule } from '../files/files.module';
import { PasswordHasher } from './password-hasher.service';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User]), WindowCountersModule, AuditLogModule, FilesModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, PasswordHasher],
  exports: [UsersService],
})
export class UsersModule {}
