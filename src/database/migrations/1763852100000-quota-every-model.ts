import { MigrationInterface, QueryRunner } from 'typeorm';
import { sqlFor } from '../placeholders';

/** A model pattern of stars only: it covers every model, as a policy without one does. */
const ALL_STARS = "model IS NOT NULL AND model <> '' AND REPLACE(model, '*', '') = ''";

interface Row {
  id: string;
  user_id: string | null;
  quota_window: string;
  max_requests: number | null;
  max_tokens: number | null;
}

/**
 * A policy for every model is stored without a pattern from now on: one written `*` was a different scope from one
 * without, so a person's `*` did not replace the default for every model, and the two could stand side by side.
 * Where they do (the same person or everyone, the same window), they become one: the oldest, with the lower of
 * their limits, which is what bound the calls while both applied. Both counted the same calls, so the oldest's
 * counters, the longest kept, stay; the others' go with them.
 */
export class QuotaEveryModel1763852100000 implements MigrationInterface {
  name = 'QuotaEveryModel1763852100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sql = (text: string) => sqlFor(queryRunner.connection, text);
    const rows: Row[] = await queryRunner.query(
      `SELECT id, user_id, quota_window, max_requests, max_tokens FROM quota_policies
       WHERE model IS NULL OR (${ALL_STARS}) ORDER BY created_at, id`,
    );
    const scopes = new Map<string, Row[]>();
    for (const row of rows) {
      const scope = `${row.user_id ?? ''} ${row.quota_window}`;
      scopes.set(scope, [...(scopes.get(scope) ?? []), row]);
    }
    for (const [kept, ...twins] of scopes.values()) {
      if (twins.length === 0) continue;
      const lowest = (limits: (number | null)[]) => {
        const set = limits.filter((limit): limit is number => limit !== null).map(Number);
        return set.length === 0 ? null : Math.min(...set);
      };
      const all = [kept, ...twins];
      await queryRunner.query(sql('UPDATE quota_policies SET max_requests = ?, max_tokens = ? WHERE id = ?'), [
        lowest(all.map((row) => row.max_requests)),
        lowest(all.map((row) => row.max_tokens)),
        kept.id,
      ]);
      for (const twin of twins) {
        for (const table of ['quota_reservations', 'quota_counters']) {
          await queryRunner.query(sql(`DELETE FROM ${table} WHERE policy_id = ?`), [twin.id]);
        }
        await queryRunner.query(sql('DELETE FROM quota_policies WHERE id = ?'), [twin.id]);
      }
    }
    await queryRunner.query(`UPDATE quota_policies SET model = NULL WHERE ${ALL_STARS}`);
  }

  async down(): Promise<void> {
    // A policy for every model is the same without a pattern; nothing to put back.
  }
}
