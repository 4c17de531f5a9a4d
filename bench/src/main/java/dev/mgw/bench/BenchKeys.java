package dev.mgw.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import dev.mgw.core.config.JdbcTarget;
import dev.mgw.core.db.Database;
import dev.mgw.core.keys.KeySecrets;

/**
 * API keys for a benchmark: {@code prefix1..prefixN}, with ids pgbench can compute
 * ({@code md5(name)}) and limits that never bite. Hashed at bcrypt cost 4, so that warming the
 * cache for 10,000 keys takes seconds; the measured phases run on warm keys and do no bcrypt.
 */
final class BenchKeys {
    private static final KeySecrets SECRETS = new KeySecrets(4);

    private BenchKeys() {
    }

    /** Creates the keys and returns their secrets, in order. */
    static List<String> create(JdbcTarget target, String prefix, int count, int dailyLimit) throws SQLException {
        List<String> secrets = IntStream.range(0, count).mapToObj(i -> SECRETS.generate()).toList();
        List<String> hashes = secrets.parallelStream().map(SECRETS::hash).toList();
        try (Connection connection = Database.connect(target);
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO api_keys (id, name, key_prefix, key_hash, daily_limit) "
                     + "VALUES (CAST(md5(?) AS uuid), ?, ?, ?, ?)")) {
            connection.setAutoCommit(false);
            for (int i = 0; i < count; i++) {
                String name = prefix + (i + 1);
                insert.setString(1, name);
                insert.setString(2, name);
                insert.setString(3, KeySecrets.prefix(secrets.get(i)));
                insert.setString(4, hashes.get(i));
                insert.setInt(5, dailyLimit);
                insert.addBatch();
                if (i % 1000 == 999) {
                    insert.executeBatch();
                }
            }
            insert.executeBatch();
            connection.commit();
        }
        return new ArrayList<>(secrets);
    }
}
