package dev.mgw.core.messages;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;
import dev.mgw.core.events.Timeline;
import dev.mgw.core.events.TimelineType;
import dev.mgw.core.quota.Charge;
import dev.mgw.core.quota.Quota;
import dev.mgw.core.webhooks.Owner;

import io.helidon.dbclient.DbRow;

import static dev.mgw.core.JsonP.JSON;

/**
 * Canceling a message that has not gone out (SPEC §5.3): only a {@code queued} one, new, scheduled
 * or waiting for a retry. One conditional UPDATE decides, so a worker claiming the message at the
 * same moment and the cancel never both win: whichever locks the row first changes its status, and
 * the other finds it no longer {@code queued} (a claim skips the locked row; the cancel waits for
 * the claim and then sees {@code sending}). In the same transaction: the {@code canceled} event
 * (and its webhook deliveries), and the recipients given back to today's quota when the message
 * was charged today (UTC).
 */
public final class Cancellations {
    private static final String CANCEL = """
            UPDATE messages AS m
               SET status = 'canceled', locked_until = NULL, updated_at = now()
              FROM api_keys k
             WHERE m.id = :id AND m.status = 'queued' AND k.id = m.api_key_id
               AND (CAST(:key AS uuid) IS NULL
                    OR (m.api_key_id = CAST(:key AS uuid) AND k.is_active AND k.key_hash = CAST(:hash AS text)))
            RETURNING m.api_key_id, m.created_at,
                      cardinality(m.to_recipients) + cardinality(m.cc_recipients) + cardinality(m.bcc_recipients) AS recipients
            """;
    private static final String VIEW = "SELECT " + Messages.VIEW_COLUMNS + " FROM messages m WHERE m.id = :id";

    private final Database database;
    private final Messages messages;
    private final Timeline timeline;
    private final Clock clock;

    public Cancellations(Database database, Timeline timeline, Clock clock) {
        this.database = database;
        this.messages = new Messages(database);
        this.timeline = timeline;
        this.clock = clock;
    }

    /** What a cancel came to. */
    public sealed interface Result {
        /** Canceled now: the message as it is after. */
        record Canceled(MessageView message) implements Result {
        }

        /** Not (or no longer) queued: the message as it is. */
        record NotCancelable(MessageView message) implements Result {
        }

        /** No such message, or another key's. */
        record NotFound() implements Result {
        }

        /** The key was revoked or rotated since the caller verified it. */
        record KeyInvalid() implements Result {
        }
    }

    /** Cancels the message if it is queued; a key may cancel only its own, an operator any. */
    public Result cancel(Owner owner, UUID messageId) {
        LocalDate today = Charge.today(clock);
        Optional<MessageView> canceled = database.inTransaction(tx -> {
            Optional<DbRow> row = tx.createNamedGet("cancel-message", CANCEL)
                    .addParam("id", messageId)
                    .addParam("key", owner instanceof Owner.Key key ? key.id().toString() : null)
                    .addParam("hash", owner instanceof Owner.Key key ? key.hash() : null)
                    .execute();
            if (row.isEmpty()) {
                return Optional.empty();
            }
            UUID keyId = Rows.uuid(row.get(), "api_key_id");
            timeline.record(tx, messageId, keyId, TimelineType.CANCELED, null, null, null,
                            JSON.createObjectBuilder().add("by", owner instanceof Owner.Key ? "api" : "mgw").build());
            LocalDate charged = LocalDate.ofInstant(Rows.instant(row.get(), "created_at"), ZoneOffset.UTC);
            if (charged.equals(today)) {
                Quota.credit(tx, keyId, today, Rows.integer(row.get(), "recipients"));
            }
            return tx.createGet(VIEW).addParam("id", messageId).execute().map(Messages::view);
        });
        if (canceled.isPresent()) {
            return new Result.Canceled(canceled.get());
        }
        return switch (owner) {
            case Owner.Key key -> switch (messages.findOwn(key.id(), key.hash(), messageId)) {
                case Messages.Lookup.Found found -> new Result.NotCancelable(found.message());
                case Messages.Lookup.NotFound notFound -> new Result.NotFound();
                case Messages.Lookup.KeyInvalid invalid -> new Result.KeyInvalid();
            };
            case Owner.Operator operator -> messages.find(messageId)
                    .<Result>map(listed -> new Result.NotCancelable(listed.message()))
                    .orElseGet(Result.NotFound::new);
        };
    }
}
