import { PickType } from '@nestjs/swagger';
import { SendMessageDto } from './send-message.dto';

/** How to answer again; every field defaults as for a send. */
export class RegenerateMessageDto extends PickType(SendMessageDto, ['model', 'temperature', 'maxTokens'] as const) {}
