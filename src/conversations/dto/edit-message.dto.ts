import { PickType } from '@nestjs/swagger';
import { SendMessageDto } from './send-message.dto';

/** The message's new text, which replaces the old one where it stands. */
export class EditMessageDto extends PickType(SendMessageDto, ['content'] as const) {}
