import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ToInteger } from '../../common/validators/to-integer';

export class GenerationEventsQueryDto {
  /**
   * The id of the last event already received: only later ones are sent. `Last-Event-ID`, when sent, wins (a
   * browser's EventSource reconnects to the same URL with that header). Default: 0, every event.
   */
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  after?: number;
}
