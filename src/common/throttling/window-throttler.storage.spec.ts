import { describeThrottlerStorage } from '../../../test/support/throttler-storage.contract';
import { WindowThrottlerStorage } from './window-throttler.storage';

describeThrottlerStorage('WindowThrottlerStorage', () => new WindowThrottlerStorage());
