import { InitialSchema1763850000000 } from './1763850000000-initial-schema';
import { Conversations1763850100000 } from './1763850100000-conversations';
import { MessageSearch1763850200000 } from './1763850200000-message-search';
import { ApiKeys1763850600000 } from './1763850600000-api-keys';
import { UsageRecords1763850700000 } from './1763850700000-usage-records';
import { ConversationTrees1763850800000 } from './1763850800000-conversation-trees';
import { MessageAncestry1763850900000 } from './1763850900000-message-ancestry';
import { Sessions1763851000000 } from './1763851000000-sessions';
import { MailAndPasswordResets1763851200000 } from './1763851200000-mail-and-password-resets';
import { TwoFactor1763851300000 } from './1763851300000-two-factor';
import { ResetLinksFollowPassword1763851350000 } from './1763851350000-reset-links-follow-password';
import { UsageByDay1763851360000 } from './1763851360000-usage-by-day';
import { AuditLog1763851370000 } from './1763851370000-audit-log';
import { Identities1763851400000 } from './1763851400000-identities';
import { Files1763851500000 } from './1763851500000-files';
import { ServedBy1763851650000 } from './1763851650000-served-by';
import { Quotas1763851700000 } from './1763851700000-quotas';
import { QuotaPoliciesList1763851800000 } from './1763851800000-quota-policies-list';
import { QuotaPoliciesUnique1763851900000 } from './1763851900000-quota-policies-unique';
import { MailOutboxForgetsSentText1763852000000 } from './1763852000000-mail-outbox-forgets-sent-text';
import { QuotaEveryModel1763852100000 } from './1763852100000-quota-every-model';

/** Listed explicitly (not globbed) so the same list works from ts sources in tests and from dist. */
export const MIGRATIONS = [
  InitialSchema1763850000000,
  Conversations1763850100000,
  MessageSearch1763850200000,
  ApiKeys1763850600000,
  UsageRecords1763850700000,
  ConversationTrees1763850800000,
  MessageAncestry1763850900000,
  Sessions1763851000000,
  MailAndPasswordResets1763851200000,
  TwoFactor1763851300000,
  ResetLinksFollowPassword1763851350000,
  UsageByDay1763851360000,
  AuditLog1763851370000,
  Identities1763851400000,
  Files1763851500000,
  ServedBy1763851650000,
  Quotas1763851700000,
  QuotaPoliciesList1763851800000,
  QuotaPoliciesUnique1763851900000,
  MailOutboxForgetsSentText1763852000000,
  QuotaEveryModel1763852100000,
];
