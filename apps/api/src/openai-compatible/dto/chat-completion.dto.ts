import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../../auth/tenant-name';
import { CitationDto } from '../../query/dto/query.dto';
import { MaxChars } from '../../errors/max-chars';

export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];
/** How many messages a conversation may carry, and how long each may be: only the last question is searched. */
export const MAX_CHAT_MESSAGES = 100;
export const MAX_MESSAGE_CHARS = 32_000;

export class ChatMessageDto {
  @ApiProperty({ enum: CHAT_ROLES }) @IsIn(CHAT_ROLES) role!: ChatRole;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', properties: { type: { type: 'string', example: 'text' }, text: { type: 'string' } } } }],
    nullable: true,
    description: "A string, or OpenAI's content parts of which the `text` ones are read; null in an assistant turn that called tools.",
  })
  // Checked where it is read (chat-messages.ts): class-validator has no union of a string and an array of parts.
  @Allow()
  content!: unknown;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxChars(200) name?: string;
  // Earlier turns of clients that use tools carry these, and an OpenAI answer appended to the history as it came
  // carries `refusal` (null) and maybe `audio`; accepted, not read.
  @ApiPropertyOptional() @IsOptional() @Allow() tool_calls?: unknown;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxChars(200) tool_call_id?: string;
  @ApiPropertyOptional() @IsOptional() @Allow() function_call?: unknown;
  @ApiPropertyOptional() @IsOptional() @Allow() refusal?: unknown;
  @ApiPropertyOptional() @IsOptional() @Allow() audio?: unknown;
}

export class StreamOptionsDto {
  @ApiPropertyOptional({ description: 'Send a last chunk with `usage` and no choices.' }) @IsOptional() @IsBoolean() include_usage?: boolean;
}

/**
 * OpenAI's chat completion request. `model` names the collection to answer from; the sampling fields that
 * OpenAI clients send are accepted and do not change the grounded answer.
 */
export class ChatCompletionRequestDto {
  @ApiProperty({ example: 'groundwork:hr', description: '`groundwork:<collection>`, or `groundwork` for the `default` collection (see GET /v1/models).' })
  @IsString()
  @MaxChars(200)
  model!: string;

  @ApiProperty({ type: [ChatMessageDto], description: 'The conversation; the last `user` message is the question.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_CHAT_MESSAGES)
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages!: ChatMessageDto[];

  @ApiPropertyOptional({ default: false }) @IsOptional() @IsBoolean() stream?: boolean;
  @ApiPropertyOptional({ type: StreamOptionsDto }) @IsOptional() @ValidateNested() @Type(() => StreamOptionsDto) stream_options?: StreamOptionsDto;

  @ApiPropertyOptional({ pattern: TENANT_NAME.source, description: "Extension, admin keys only: the tenant whose collection `model` names (default 'default')." })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;

  // Sent by OpenAI clients and chat UIs; accepted so they work unchanged, not used (see the class comment).
  @ApiPropertyOptional({ minimum: 0, maximum: 2, description: 'Passed to the chat model that writes the answer.' }) @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() top_p?: number;
  @ApiPropertyOptional({ minimum: 1, description: 'Longest answer, lowered to LLM_MAX_ANSWER_TOKENS.' }) @IsOptional() @IsInt() @Min(1) max_tokens?: number;
  @ApiPropertyOptional({ minimum: 1, description: 'As `max_tokens` (OpenAI\'s newer name); wins when both are sent.' }) @IsOptional() @IsInt() @Min(1) max_completion_tokens?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() presence_penalty?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() frequency_penalty?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() seed?: number;
  @ApiPropertyOptional({ enum: [1] }) @IsOptional() @IsIn([1]) n?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxChars(200) user?: string;
  @ApiPropertyOptional() @IsOptional() @Allow() stop?: unknown;
  @ApiPropertyOptional() @IsOptional() @IsObject() metadata?: Record<string, unknown>;
  // Also sent by OpenAI clients (the SDKs' own defaults, agents that offer tools, structured-output requests):
  // accepted so those clients work, and ignored: the answer is always the grounded text with its citations.
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() store?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() logprobs?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() top_logprobs?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() logit_bias?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored: the answer is text.' }) @IsOptional() @Allow() response_format?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored: no tool is called.' }) @IsOptional() @Allow() tools?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() tool_choice?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() parallel_tool_calls?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() functions?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() function_call?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() service_tier?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() reasoning_effort?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() modalities?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() prediction?: unknown;
  @ApiPropertyOptional({ description: 'Accepted, ignored.' }) @IsOptional() @Allow() audio?: unknown;
}

export class ChatCompletionMessageDto {
  @ApiProperty({ enum: ['assistant'] }) role!: 'assistant';
  @ApiProperty({ description: 'The grounded answer with `[n]` markers, then a "Sources:" list of the numbered references.' }) content!: string;
}

export class ChatCompletionChoiceDto {
  @ApiProperty() index!: number;
  @ApiProperty({ type: ChatCompletionMessageDto }) message!: ChatCompletionMessageDto;
  @ApiProperty({ enum: ['stop'] }) finish_reason!: 'stop';
}

export class ChatCompletionUsageDto {
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
  @ApiProperty() total_tokens!: number;
}

export class ChatCompletionResponseDto {
  @ApiProperty({ example: 'chatcmpl-7f3c…' }) id!: string;
  @ApiProperty({ enum: ['chat.completion'] }) object!: 'chat.completion';
  @ApiProperty({ description: 'Unix seconds' }) created!: number;
  @ApiProperty({ example: 'groundwork:hr' }) model!: string;
  @ApiProperty({ type: [ChatCompletionChoiceDto] }) choices!: ChatCompletionChoiceDto[];
  @ApiProperty({ type: ChatCompletionUsageDto }) usage!: ChatCompletionUsageDto;
  @ApiProperty({ type: [CitationDto], description: 'Extension: the citations of /v1/query, one per `[n]` in the answer.' }) citations!: CitationDto[];
  @ApiProperty({ format: 'uuid', description: 'Extension: the answer\'s id, for POST /v1/queries/{query_id}/feedback (also on the finishing chunk when streaming).' })
  query_id!: string;
}

export class ModelDto {
  @ApiProperty({ example: 'groundwork:hr' }) id!: string;
  @ApiProperty({ enum: ['model'] }) object!: 'model';
  @ApiProperty({ description: 'Unix seconds: when the collection was created' }) created!: number;
  @ApiProperty({ example: 'acme', description: 'The tenant' }) owned_by!: string;
}

export class ModelListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  @ApiProperty({ type: [ModelDto] }) data!: ModelDto[];
}
