import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { appConfig } from '../../config/app.config';
import { dateParam } from '../../database/date-param';
import { isMissingTable } from '../../database/missing-table';
import { InvalidDateRangeError } from '../errors/app.error';
import { Cursor, decodeCursor, Page, toPage } from '../pagination/cursor';
import { currentRequest } from '../request-context/request-context';
import { AuditEvent, AuditOutcome } from './audit-event.entity';

export interface AuditEntry {
  action: string;
  /** Who did it; null or left out when nobody was signed in. */
  actorId?: string | null;
  targetType?: string;
  targetId?: string;
  outcome?: AuditOutcome;
  details?: Record<string, string | number | boolean | null>;
}

export interface AuditFilter {
  actorId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * The append-only record of what people and admins did. `record` takes the transaction of the change it records,
 * so that the change and its record are kept together or not at all; the client's address, user agent and request
 * id come from the request being served. Events older than AUDIT_RETENTION_DAYS are deleted at start and hourly.
 */
@Injectable()
export class AuditLog implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AuditLog.name);
  private readonly retentionMs: number;
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    private readonly dataSource: DataSource,
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
  ) {
    this.retentionMs = config.auditRetentionDays * DAY_MS;
  }

  onApplicationBootstrap(): void {
    void this.pruneAtStart();
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  async record(entry: AuditEntry, manager?: EntityManager): Promise<void> {
    const request = currentRequest();
    const repository = manager ? manager.getRepository(AuditEvent) : this.events;
    await repository.insert({
      at: new Date(),
      actorId: entry.actorId ?? null,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      outcome: entry.outcome ?? 'success',
      ip: request?.ip ?? null,
      userAgent: request?.userAgent ?? null,
      requestId: request?.requestId ?? null,
      details: entry.details ?? null,
    });
  }

  /**
   * For what is not a change of stored state (a refused sign-in, an admin reading): a failure to record is logged,
   * and the request goes on.
   */
  async note(entry: AuditEntry): Promise<void> {
    await this.record(entry).catch((error: unknown) => {
      this.logger.error(`audit event ${entry.action} was not recorded: ${(error as Error).message}`);
    });
  }

  /** A page of events, newest first, continued with the previous page's `nextCursor`. */
  async list(filter: AuditFilter, limit: number, cursor?: string): Promise<Page<AuditEvent>> {
    // A backwards range is a client's mistake (swapped fields), not a question whose answer is "nothing".
    if (filter.from && filter.to && filter.from > filter.to) {
      throw new InvalidDateRangeError(
        `from (${filter.from.toISOString()}) must not be after to (${filter.to.toISOString()})`,
      );
    }
    const rows = await this.listPage(filter, limit, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (event) => event.at);
  }

  /** Newest first, `limit + 1` rows after `before` (to tell whether there is a next page). */
  private listPage(filter: AuditFilter, limit: number, before?: Cursor): Promise<AuditEvent[]> {
    const query = this.events
      .createQueryBuilder('e')
      .orderBy('e.at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(limit + 1);
    if (filter.actorId) query.andWhere('e.actorId = :actorId', { actorId: filter.actorId });
    if (filter.action) query.andWhere('e.action = :action', { action: filter.action });
    if (filter.from) query.andWhere('e.at >= :from', { from: dateParam(this.dataSource, filter.from) });
    if (filter.to) query.andWhere('e.at <= :to', { to: dateParam(this.dataSource, filter.to) });
    if (before) {
      query.andWhere('(e.at, e.id) < (:at, :id)', { at: dateParam(this.dataSource, before.at), id: before.id });
    }
    return query.getMany();
  }

  async prune(now = Date.now()): Promise<void> {
    try {
      await this.deleteOlderThanRetention(now);
    } catch (error) {
      this.logger.warn(`old audit events could not be deleted: ${(error as Error).message}`);
    }
  }

  /**
   * The command line starts this before it applies the migrations to a new database (and while `db:drop` removes
   * the tables): with no table yet there is nothing to delete, and nothing to warn about.
   */
  private async pruneAtStart(): Promise<void> {
    try {
      await this.deleteOlderThanRetention(Date.now());
    } catch (error) {
      if (isMissingTable(error)) return;
      this.logger.warn(`old audit events could not be deleted: ${(error as Error).message}`);
    }
  }

  private async deleteOlderThanRetention(now: number): Promise<void> {
    await this.events
      .createQueryBuilder()
      .delete()
      .where('at < :before', { before: dateParam(this.dataSource, new Date(now - this.retentionMs)) })
      .execute();
  }
}
