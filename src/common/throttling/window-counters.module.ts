import { Module } from '@nestjs/common';
import { MemoryWindowCounters } from './memory-window-counters';
import { WindowCounters } from './window-counters';

@Module({
  providers: [{ provide: WindowCounters, useValue: new MemoryWindowCounters() }],
  exports: [WindowCounters],
})
export class WindowCountersModule {}
