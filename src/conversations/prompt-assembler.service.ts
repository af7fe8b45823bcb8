import { Injectable, Logger } from '@nestjs/common';
import { FilesService } from '../files/files.service';
import type { StoredFile } from '../files/stored-file.entity';
import type { AttachedMessage } from './messages.repository';
import type { ChatMessage, ProviderFeatures } from '../ai/ai-provider';
import {
  allotDocumentText,
  assemblePrompt,
  documentBudgetChars,
  type DocumentTexts,
  fitsLimit,
  withImages,
} from './prompt';

/**
 * Builds a prompt from a path of messages with their attachments (as MessagesRepository.pathWhile reads them): only
 * as much of each document's text as the document budget allots it (see allotDocumentText), and
 * the bytes of the images of the messages that fit (when the model can see them).
 */
@Injectable()
export class PromptAssembler {
  private readonly logger = new Logger(PromptAssembler.name);

  constructor(private readonly files: FilesService) {}

  async assemble(
    systemPrompt: string | null,
    history: Pick<AttachedMessage, 'role' | 'content' | 'attachments'>[],
    budgetTokens: number,
    features: Pick<ProviderFeatures, 'imageData' | 'maxImageBytes'>,
  ): Promise<ChatMessage[]> {
    const texts: DocumentTexts = new Map();
    for (const [file, chars] of allotDocumentText(history, documentBudgetChars(budgetTokens))) {
      if (chars > 0) texts.set(file, await this.readText(file, chars));
    }
    const prompt = assemblePrompt(systemPrompt, history, budgetTokens, texts);
    if (!features.imageData) return withImages(prompt, null);
    const data = new Map<string, string>();
    for (const image of prompt.images.flat()) {
      if (data.has(image.fileId) || !fitsLimit(image, features.maxImageBytes)) continue;
      const bytes = await this.readImage(image.fileId);
      if (bytes !== null) data.set(image.fileId, bytes);
    }
    return withImages(prompt, data, features.maxImageBytes);
  }

  /** An image missing on disk goes as no image part rather than failing the send (its name stays in the text). */
  private async readImage(fileId: string): Promise<string | null> {
    try {
      return await this.files.imageData(fileId);
    } catch (error) {
      this.logger.error(`the image file ${fileId} could not be read: ${(error as Error).message}`);
      return null;
    }
  }

  /** A text missing on disk goes in as empty (the prompt says what was left out) rather than failing the send. */
  private async readText(file: StoredFile, chars: number): Promise<string> {
    try {
      return await this.files.readText(file, chars);
    } catch (error) {
      this.logger.error(`the text of file ${file.id} could not be read: ${(error as Error).message}`);
      return '';
    }
  }
}
