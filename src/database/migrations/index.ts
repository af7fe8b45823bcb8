import { InitialSchema1763850000000 } from './1763850000000-initial-schema';
import { Conversations1763850100000 } from './1763850100000-conversations';

/** Listed explicitly (not globbed) so the same list works from ts sources in tests and from dist. */
export const MIGRATIONS = [InitialSchema1763850000000, Conversations1763850100000];
