import { Module } from '@nestjs/common';
import { AiModule } from '../ai/ai.module';
import { LifecycleModule } from '../common/lifecycle/lifecycle.module';
import { UsageModule } from '../usage/usage.module';
import { ChatCompletionsService } from './chat-completions.service';
import { OpenAiCompatController } from './openai-compat.controller';

@Module({
  imports: [AiModule, UsageModule, LifecycleModule],
  controllers: [OpenAiCompatController],
  providers: [ChatCompletionsService],
})
export class OpenAiCompatModule {}
