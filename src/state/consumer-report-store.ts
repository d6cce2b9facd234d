/** Consumer acknowledgements and reports (`migrate_consumer_acks`, `migrate_consumer_reports`). */
import type { StoreContext } from './store-context.js';
import type { ConsumerReportStore } from './types.js';

export function consumerReportStore({ db, dialect }: StoreContext): ConsumerReportStore {
  return {
    async saveConsumerReport(plan, entity, r) {
      return db.transaction().execute(async (tx) => {
        const existing = await tx
          .selectFrom('migrate_consumer_reports')
          .select('seq')
          .where('plan', '=', plan)
          .where('entity', '=', entity)
          .where('consumer', '=', r.consumer)
          .where('instance', '=', r.instance)
          .where('seq', '=', r.seq)
          .executeTakeFirst();
        if (existing !== undefined) return false;
        // A concurrent re-send of the same report loses on the primary key and stores nothing twice.
        await dialect
          .upsert(
            tx.insertInto('migrate_consumer_reports').values({ plan, entity, consumer: r.consumer, instance: r.instance, seq: r.seq, received_at: dialect.now, epochs: JSON.stringify(r.epochs) }),
            ['plan', 'entity', 'consumer', 'instance', 'seq'],
            ['epochs'],
          )
          .execute();
        await dialect
          .upsert(
            tx.insertInto('migrate_consumer_acks').values({
              plan,
              entity,
              consumer: r.consumer,
              instance: r.instance,
              epoch: r.ack.epoch,
              in_flight: r.ack.inFlightWrites,
              failure_log_depth: r.ack.failureLogDepth,
              routing_stale: r.ack.routingStale,
              last_seq: r.seq,
              updated_at: dialect.now,
            }),
            ['plan', 'entity', 'consumer', 'instance'],
            ['epoch', 'in_flight', 'failure_log_depth', 'routing_stale', 'last_seq', 'updated_at'],
          )
          .execute();
        return true;
      });
    },

    async listConsumerAcks(plan, entity) {
      const rows = await db
        .selectFrom('migrate_consumer_acks')
        .selectAll()
        .where('plan', '=', plan)
        .where('entity', '=', entity)
        .orderBy('consumer')
        .orderBy('instance')
        .execute();
      return rows.map((r) => ({
        consumer: r.consumer,
        instance: r.instance,
        epoch: r.epoch === null ? null : Number(r.epoch),
        inFlightWrites: Number(r.in_flight),
        failureLogDepth: Number(r.failure_log_depth),
        routingStale: Boolean(r.routing_stale),
        lastSeq: Number(r.last_seq),
        updatedAt: new Date(r.updated_at),
      }));
    },

    async listConsumerReports(plan, entity) {
      const rows = await db
        .selectFrom('migrate_consumer_reports')
        .selectAll()
        .where('plan', '=', plan)
        .where('entity', '=', entity)
        .orderBy('consumer')
        .orderBy('instance')
        .orderBy('seq')
        .execute();
      return rows.map((r) => ({ consumer: r.consumer, instance: r.instance, seq: Number(r.seq), receivedAt: new Date(r.received_at), epochs: dialect.readJson<unknown>(r.epochs) }));
    },
  };
}
