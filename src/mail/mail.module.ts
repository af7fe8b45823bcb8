import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MetricsRegistryModule } from '../common/metrics/metrics-registry.module';
import { mailConfig } from '../config/mail.config';
import { LogMailTransport } from './log-mail.transport';
import { MailOutboxRepository } from './mail-outbox.repository';
import { MailSender } from './mail-sender.service';
import { MailTransport } from './mail-transport';
import { MailService } from './mail.service';
import { OutboxMail } from './outbox-mail.entity';
import { SmtpMailTransport } from './smtp-mail.transport';

@Module({
  imports: [TypeOrmModule.forFeature([OutboxMail]), MetricsRegistryModule],
  providers: [
    MailService,
    MailSender,
    MailOutboxRepository,
    {
      provide: MailTransport,
      inject: [mailConfig.KEY],
      useFactory: (config: ConfigType<typeof mailConfig>): MailTransport =>
        config.smtpUrl ? new SmtpMailTransport(config.smtpUrl, config.from) : new LogMailTransport(),
    },
  ],
  exports: [MailService],
})
export class MailModule {}
