import { Module } from '@nestjs/common';
import { AuditLogModule } from '../common/audit/audit-log.module';
import { AuditController } from './audit.controller';

/** GET /admin/audit; the events themselves are written by every feature through AuditLog, in common/. */
@Module({ imports: [AuditLogModule], controllers: [AuditController] })
export class AuditModule {}
