import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../ai/ai-provider';
import type { OpenAiToolChoice, TargetProvider } from './chat-messages';
import { UnsupportedParameterError } from './openai-compat.errors';

/** The request fields beyond the messages, as the /v1 DTO has them. */
export interface ChatOptionsInput {
  temperature?: number;
  max_completion_tokens?: number;
  max_tokens?: number;
  tools?: { type: 'function'; function: ToolDefinition }[];
  tool_choice?: OpenAiToolChoice;
  parallel_tool_calls?: boolean;
  stop?: string | string[];
  response_format?: {
    type: 'text' | 'json_object' | 'json_schema';
    json_schema?: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean };
  };
  top_p?: number;
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  user?: string;
}

type ChatOptions = Omit<ChatRequest, 'model' | 'messages' | 'signal'>;

/**
 * The options in the port's terms, for a provider with `features`. A value equal to OpenAI's default (top_p 1,
 * penalties 0, tool_choice auto, parallel tool calls on, text answers) is the same as leaving it out, so it is
 * taken by every provider and not sent; any other value a provider cannot honour is refused, naming it.
 */
export function toChatOptions(input: ChatOptionsInput, provider: TargetProvider): ChatOptions {
  const { features } = provider;
  const refuse = (param: string, detail?: string): never => {
    throw new UnsupportedParameterError(
      param,
      `is not supported by ${provider.id} models${detail ? ` (${detail})` : ''}; leave it out or choose another model`,
    );
  };
  if (
    given(input.max_tokens) &&
    given(input.max_completion_tokens) &&
    input.max_tokens !== input.max_completion_tokens
  ) {
    throw new UnsupportedParameterError('max_tokens', 'differs from max_completion_tokens; send one of them');
  }
  if (input.temperature != null && input.temperature > features.maxTemperature) {
    refuse('temperature', `at most ${features.maxTemperature}`);
  }
  const options: ChatOptions = {
    temperature: input.temperature ?? undefined,
    maxTokens: input.max_completion_tokens ?? input.max_tokens ?? undefined,
    ...(input.max_completion_tokens != null && { maxTokensAsCompletionTokens: true }),
  };

  const tools = input.tools?.length ? input.tools.map((tool) => tool.function) : undefined;
  const choice = toToolChoice(input.tool_choice);
  if (tools) {
    if (!features.tools) refuse('tools');
    tools.forEach((tool, index) => {
      if (tool.strict && !features.strictTools) refuse(`tools.${index}.function.strict`);
    });
    options.tools = tools;
  }
  if (choice !== undefined && choice !== 'auto') {
    if (!tools && choice !== 'none') {
      throw new UnsupportedParameterError('tool_choice', 'needs tools to choose from');
    }
    if (typeof choice === 'object' && !tools?.some((tool) => tool.name === choice.name)) {
      throw new UnsupportedParameterError('tool_choice', `names "${choice.name}", which is not one of the tools`);
    }
    if (tools) {
      const kind = typeof choice === 'object' ? 'named' : choice;
      if (!features.toolChoices.includes(kind))
        refuse('tool_choice', `they cannot take "${kind === 'named' ? 'a named function' : kind}"`);
      options.toolChoice = choice;
    }
  }
  if (input.parallel_tool_calls === false && tools) {
    if (!features.serialToolCalls) refuse('parallel_tool_calls', 'they cannot be held to one tool call');
    options.parallelToolCalls = false;
  }

  if (given(input.stop)) {
    if (!features.stop) refuse('stop');
    options.stop = typeof input.stop === 'string' ? [input.stop] : input.stop;
  }
  const format = toResponseFormat(input.response_format);
  if (format) {
    if (!features.responseFormats.includes(format.type)) refuse('response_format', `they cannot take "${format.type}"`);
    options.responseFormat = format;
  }
  if (given(input.top_p) && input.top_p !== 1) {
    if (!features.topP) refuse('top_p');
    options.topP = input.top_p;
  }
  if (given(input.seed)) {
    if (!features.seed) refuse('seed');
    options.seed = input.seed;
  }
  if (given(input.frequency_penalty) && input.frequency_penalty !== 0) {
    if (!features.frequencyPenalty) refuse('frequency_penalty');
    options.frequencyPenalty = input.frequency_penalty;
  }
  if (given(input.presence_penalty) && input.presence_penalty !== 0) {
    if (!features.presencePenalty) refuse('presence_penalty');
    options.presencePenalty = input.presence_penalty;
  }
  if (given(input.user)) {
    if (!features.user) refuse('user');
    options.user = input.user;
  }
  return options;
}

/** Some clients send null for a field they leave unset. */
function given<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}

function toToolChoice(choice: OpenAiToolChoice | null | undefined): ToolChoice | undefined {
  if (!given(choice) || typeof choice === 'string') return choice ?? undefined;
  return { name: choice.function.name };
}

function toResponseFormat(format: ChatOptionsInput['response_format']): ResponseFormat | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const { name, description, schema, strict } = format.json_schema!;
  return {
    type: 'json_schema',
    name,
    ...(description !== undefined && { description }),
    ...(schema && { schema }),
    ...(strict !== undefined && { strict }),
  };
}
