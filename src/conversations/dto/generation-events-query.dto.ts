import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class GenerationEventsQueryDto {
  /**
   * The id of the last event already received: only later ones are sent. `Last-Event-ID`, when sent, wins (a
   * browser's EventSource reconnects to the same URL with that header). Default: 0, every event.
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  after?: number;
}
