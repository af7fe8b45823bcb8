import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditLogModule } from '../common/audit/audit-log.module';
import { UsersModule } from '../users/users.module';
import { UsageController } from './usage.controller';
import { UsageOverviewController } from './usage-overview.controller';
import { UsageRecord } from './usage-record.entity';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

@Module({
  imports: [TypeOrmModule.forFeature([UsageRecord]), UsersModule, AuditLogModule],
  controllers: [UsageController, UsageOverviewController],
  providers: [UsageService, UsageRepository],
  exports: [UsageService],
})
export class UsageModule {}
