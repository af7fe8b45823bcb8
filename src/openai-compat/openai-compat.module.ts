import { Module } from '@nestjs/common';
import { AiModule } from '../ai/ai.module';
import { QuotasModule } from '../quotas/quotas.module';
import { UsageModule } from '../usage/usage.module';
import { ErrorDialect } from '../common/filters/all-exceptions.filter';
import { ChatCompletionsService } from './chat-completions.service';
import { OpenAiCompatController } from './openai-compat.controller';
import { OpenAiErrorDialect } from './openai-error';

@Module({
  imports: [AiModule, UsageModule, QuotasModule],
  controllers: [OpenAiCompatController],
  providers: [ChatCompletionsService, { provide: ErrorDialect, useClass: OpenAiErrorDialect }],
})
export class OpenAiCompatModule {}
