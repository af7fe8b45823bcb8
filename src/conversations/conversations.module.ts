import { Module } from '@nestjs/common';
import { MetricsRegistryModule } from '../common/metrics/metrics-registry.module';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AiModule } from '../ai/ai.module';
import { FilesModule } from '../files/files.module';
import { LifecycleModule } from '../common/lifecycle/lifecycle.module';
import { RedisModule } from '../common/redis/redis.module';
import { QuotasModule } from '../quotas/quotas.module';
import { AttachmentsRepository } from './attachments.repository';
import { ChatService } from './chat.service';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { Conversation } from './entities/conversation.entity';
import { MessageAttachment } from './entities/message-attachment.entity';
import { Message } from './entities/message.entity';
import { GenerationRegistry } from './generation-registry.service';
import { GenerationRelay } from './generation-relay.service';
import { GenerationsController } from './generations.controller';
import { MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';
import { PromptAssembler } from './prompt-assembler.service';
import { SendRepository } from './send.repository';

@Module({
  imports: [
    TypeOrmModule.forFeature([Conversation, Message, MessageAttachment]),
    AiModule,
    FilesModule,
    LifecycleModule,
    RedisModule,
    MetricsRegistryModule,
    QuotasModule,
  ],
  controllers: [ConversationsController, MessagesController, GenerationsController],
  providers: [
    ConversationsService,
    MessagesService,
    ChatService,
    GenerationRegistry,
    GenerationRelay,
    ConversationsRepository,
    MessagesRepository,
    SendRepository,
    AttachmentsRepository,
    PromptAssembler,
  ],
  exports: [ConversationsService, ChatService],
})
export class ConversationsModule {}
