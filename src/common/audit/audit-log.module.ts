import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEvent } from './audit-event.entity';
import { AuditLog } from './audit-log.service';

/** Imported by every module that records what people do; Nest makes one instance of it per app. */
@Module({ imports: [TypeOrmModule.forFeature([AuditEvent])], providers: [AuditLog], exports: [AuditLog] })
export class AuditLogModule {}
