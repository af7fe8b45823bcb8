import { Module } from '@nestjs/common';
import { AiModule } from '../ai/ai.module';
import { UsageModule } from '../usage/usage.module';
import { ChatCompletionsService } from './chat-completions.service';
import { OpenAiCompatController } from './openai-compat.controller';

@Module({
  imports: [AiModule, UsageModule],
  controllers: [OpenAiCompatController],
  providers: [ChatCompletionsService],
})
export class OpenAiCompatModule {}
