import { describeWindowCounters } from '../../../test/support/window-counters.contract';
import { MemoryWindowCounters } from './memory-window-counters';

describeWindowCounters('MemoryWindowCounters', () => new MemoryWindowCounters());
