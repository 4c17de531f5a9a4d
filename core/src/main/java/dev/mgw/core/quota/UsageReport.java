package dev.mgw.core.quota;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;

import io.helidon.dbclient.DbRow;

/**
 * Usage per key and UTC day from {@code daily_usage}. A single day also lists the active keys
 * that sent nothing, so the report shows every key's headroom.
 */
public final class UsageReport {
    private static final String DAY = """
            SELECT k.id, k.name, k.key_prefix, CAST(:day AS date) AS date, COALESCE(u.count, 0) AS sent, k.daily_limit
              FROM api_keys k
              LEFT JOIN daily_usage u ON u.api_key_id = k.id AND u.date = :day
             WHERE (k.is_active OR u.count IS NOT NULL)
               AND (CAST(:key AS uuid) IS NULL OR k.id = CAST(:key AS uuid))
             ORDER BY k.name, k.key_prefix
            """;
    private static final String RANGE = """
            SELECT k.id, k.name, k.key_prefix, u.date, u.count AS sent, k.daily_limit
              FROM daily_usage u
              JOIN api_keys k ON k.id = u.api_key_id
             WHERE u.date BETWEEN :from AND :to
               AND (CAST(:key AS uuid) IS NULL OR k.id = CAST(:key AS uuid))
             ORDER BY u.date, k.name, k.key_prefix
            """;

    private final Database database;

    public UsageReport(Database database) {
        this.database = database;
    }

    public List<UsageRow> rows(LocalDate from, LocalDate to, Optional<UUID> key) {
        String keyParam = key.map(UUID::toString).orElse(null);
        return database.run(() -> {
            var statement = from.equals(to)
                    ? database.client().execute().createQuery(DAY).addParam("day", from)
                    : database.client().execute().createQuery(RANGE).addParam("from", from).addParam("to", to);
            return statement.addParam("key", keyParam)
                    .execute()
                    .map(UsageReport::row)
                    .toList();
        });
    }

    private static UsageRow row(DbRow row) {
        return new UsageRow(Rows.uuid(row, "id"),
                            Rows.string(row, "name"),
                            Rows.string(row, "key_prefix"),
                            Rows.date(row, "date"),
                            Rows.integer(row, "sent"),
                            Rows.integer(row, "daily_limit"));
    }
}
