import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditLogModule } from '../common/audit/audit-log.module';
import { MetricsRegistryModule } from '../common/metrics/metrics-registry.module';
import { UsersModule } from '../users/users.module';
import { QuotaCounter } from './entities/quota-counter.entity';
import { QuotaPolicy } from './entities/quota-policy.entity';
import { QuotaReservation } from './entities/quota-reservation.entity';
import { MyQuotaController } from './my-quota.controller';
import { QuotaPoliciesService } from './quota-policies.service';
import { QuotasController } from './quotas.controller';
import { QuotasRepository } from './quotas.repository';
import { QuotasService } from './quotas.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([QuotaPolicy, QuotaCounter, QuotaReservation]),
    UsersModule,
    AuditLogModule,
    MetricsRegistryModule,
  ],
  controllers: [QuotasController, MyQuotaController],
  providers: [QuotasService, QuotaPoliciesService, QuotasRepository],
  exports: [QuotasService],
})
export class QuotasModule {}
