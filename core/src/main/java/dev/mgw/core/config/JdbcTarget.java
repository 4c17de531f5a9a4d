package dev.mgw.core.config;

import java.util.Map;

/**
 * Where the database is, as the PostgreSQL JDBC driver wants it: a URL without credentials,
 * the credentials apart, and driver properties translated from a libpq URI.
 *
 * @param jdbcUrl    {@code jdbc:postgresql://…}, never carrying a user or password
 * @param user       user name, empty for the driver's default
 * @param password   password, masked in {@link #toString()}
 * @param properties driver properties (e.g. {@code sslmode})
 * @param display    the URL as operators may see it in logs and messages: no password
 */
public record JdbcTarget(String jdbcUrl, String user, Secret password, Map<String, String> properties, String display) {
    public JdbcTarget {
        properties = Map.copyOf(properties);
    }

    @Override
    public String toString() {
        return display;
    }
}
