package dev.mgw.core.testing;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;

import dev.mgw.core.config.DatabaseUrl;
import dev.mgw.core.config.JdbcTarget;
import dev.mgw.core.db.Database;
import dev.mgw.core.db.Migrations;

/**
 * A database of its own for one test class, created next to the one {@code MGW_TEST_DATABASE_URL}
 * names (the run's base database, which {@code scripts/run-tests.sh} creates) and named after it,
 * {@code <base>_<class>_<random>}, so that a run only ever drops its own; migrated unless asked
 * otherwise, dropped on close.
 */
public final class TestDatabase implements AutoCloseable {
    private static final String BASE_URL = System.getenv()
            .getOrDefault("MGW_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/mgw_test");
    private static final String BASE_NAME = BASE_URL.substring(BASE_URL.lastIndexOf('/') + 1).replaceFirst("\\?.*$", "");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private final String url;
    private final JdbcTarget target;

    private TestDatabase(String name) {
        this.name = name;
        this.url = BASE_URL.substring(0, BASE_URL.lastIndexOf('/') + 1) + name;
        this.target = DatabaseUrl.parse(url);
    }

    /** A fresh database with the gateway schema applied. */
    public static TestDatabase migrated(Class<?> testClass) {
        TestDatabase database = empty(testClass);
        new Migrations(database.target).migrate();
        return database;
    }

    /** A fresh database without any table. */
    public static TestDatabase empty(Class<?> testClass) {
        String label = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        String name = BASE_NAME + "_" + label.substring(0, Math.min(label.length(), 24)) + "_"
                      + Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36).substring(0, 6);
        admin("CREATE DATABASE " + name);
        return new TestDatabase(name);
    }

    /** {@code postgresql://…} URL of this database, as an operator would put in DATABASE_URL. */
    public String url() {
        return url;
    }

    public JdbcTarget target() {
        return target;
    }

    /** The database server's host and port, as {@code host:port}. */
    public String hostAndPort() {
        return target.jdbcUrl().replaceFirst("^jdbc:postgresql://([^/]+)/.*$", "$1");
    }

    /** A proxy to the database server, for tests that take the database away. */
    public TcpProxy proxy() {
        String hostAndPort = hostAndPort();
        int colon = hostAndPort.lastIndexOf(':');
        return TcpProxy.to(hostAndPort.substring(0, colon), Integer.parseInt(hostAndPort.substring(colon + 1)));
    }

    /** The URL of this database reached through the given proxy. */
    public String urlThrough(TcpProxy proxy) {
        String credentials = target.user() + (target.password().isEmpty() ? "" : ":" + target.password().reveal());
        return "postgresql://" + credentials + "@127.0.0.1:" + proxy.port() + "/" + name;
    }

    /** An environment naming this database and nothing else. */
    public Map<String, String> env() {
        return Map.of("DATABASE_URL", url);
    }

    /** Runs SQL directly on this database (test set-up and checks). */
    public void sql(String sql) {
        try (Connection connection = Database.connect(target); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** The first column of the first row of a query, as a long. */
    public long queryLong(String sql) {
        return query(sql, rs -> {
            rs.next();
            return rs.getLong(1);
        });
    }

    /** The first column of the first row of a query, as text (null when there is no row). */
    public String queryString(String sql) {
        return query(sql, rs -> rs.next() ? rs.getString(1) : null);
    }

    /** Reads the result of a query. */
    public <T> T query(String sql, ResultReader<T> reader) {
        try (Connection connection = Database.connect(target);
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(sql)) {
            return reader.read(rs);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Reads a result set. */
    @FunctionalInterface
    public interface ResultReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Empties every gateway table (keys, usage, messages, webhooks and what refers to them), keeping the schema. */
    public void truncate() {
        sql("TRUNCATE webhook_deliveries, webhook_endpoints, message_events, suppressions, messages, daily_usage, api_keys "
            + "CASCADE");
    }

    @Override
    public void close() {
        admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    private static void admin(String sql) {
        try (Connection connection = Database.connect(DatabaseUrl.parse(BASE_URL));
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " on " + BASE_URL + ": " + e.getMessage()
                                            + " (is PostgreSQL running and MGW_TEST_DATABASE_URL's database created?)", e);
        }
    }
}
