import type { ChatRequest, ProviderFeatures } from './ai-provider';

/**
 * Whether a provider with `features` can honour everything `request` asks for: a call handed to a fallback must
 * not lose a part of the request (tools, images, sampling options) that the model asked first would have honoured.
 */
export function canHonour(features: ProviderFeatures, request: ChatRequest): boolean {
  const { tools, toolChoice, responseFormat } = request;
  const usesTools = Boolean(tools?.length) || request.messages.some((m) => m.role === 'tool' || m.toolCalls?.length);
  if (usesTools && !features.tools) return false;
  if (tools?.some((tool) => tool.strict) && !features.strictTools) return false;
  if (toolChoice !== undefined && toolChoice !== 'auto') {
    const kind = typeof toolChoice === 'string' ? toolChoice : 'named';
    if (!features.toolChoices.includes(kind)) return false;
  }
  if (request.parallelToolCalls === false && tools?.length && !features.serialToolCalls) return false;
  for (const message of request.messages) {
    if (typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type !== 'image') continue;
      if (part.source.kind === 'base64' ? !features.imageData : !features.imageUrl) return false;
      if (part.source.kind === 'base64' && features.maxImageBytes !== null) {
        if (part.source.data.length > features.maxImageBytes) return false;
      }
    }
  }
  if (responseFormat && !features.responseFormats.includes(responseFormat.type)) return false;
  if (request.stop?.length && !features.stop) return false;
  if (request.topP !== undefined && !features.topP) return false;
  if (request.seed !== undefined && !features.seed) return false;
  if (request.frequencyPenalty !== undefined && !features.frequencyPenalty) return false;
  if (request.presencePenalty !== undefined && !features.presencePenalty) return false;
  if (request.user !== undefined && !features.user) return false;
  return true;
}
