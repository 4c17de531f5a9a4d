package dev.mgw.core.db;

import java.io.StringReader;
import java.sql.Array;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

import io.helidon.dbclient.DbRow;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;

import static dev.mgw.core.JsonP.JSON;

/**
 * Reads columns of a {@link DbRow} as the Java types the repositories use, from the raw values
 * the PostgreSQL driver returns, and converts parameters the other way.
 */
public final class Rows {
    private Rows() {
    }

    public static String string(DbRow row, String column) {
        Object value = raw(row, column);
        return value == null ? null : value.toString();
    }

    public static Optional<String> optionalString(DbRow row, String column) {
        return Optional.ofNullable(string(row, column));
    }

    public static UUID uuid(DbRow row, String column) {
        Object value = raw(row, column);
        return value == null || value instanceof UUID ? (UUID) value : UUID.fromString(value.toString());
    }

    public static int integer(DbRow row, String column) {
        return ((Number) raw(row, column)).intValue();
    }

    public static long longValue(DbRow row, String column) {
        return ((Number) raw(row, column)).longValue();
    }

    public static Optional<Integer> optionalInteger(DbRow row, String column) {
        Object value = raw(row, column);
        return value == null ? Optional.empty() : Optional.of(((Number) value).intValue());
    }

    public static boolean bool(DbRow row, String column) {
        return (Boolean) raw(row, column);
    }

    public static Instant instant(DbRow row, String column) {
        return optionalInstant(row, column).orElse(null);
    }

    public static Optional<Instant> optionalInstant(DbRow row, String column) {
        Object value = raw(row, column);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Timestamp ts) {
            return Optional.of(ts.toInstant());
        }
        if (value instanceof OffsetDateTime odt) {
            return Optional.of(odt.toInstant());
        }
        throw new IllegalStateException("column " + column + " is not a timestamp: " + value.getClass());
    }

    public static LocalDate date(DbRow row, String column) {
        Object value = raw(row, column);
        if (value instanceof java.sql.Date d) {
            return d.toLocalDate();
        }
        return value == null ? null : LocalDate.parse(value.toString());
    }

    /** A {@code text[]} column; {@code null} stays {@code null}. */
    public static List<String> strings(DbRow row, String column) {
        Object value = raw(row, column);
        if (value == null) {
            return null;
        }
        try {
            return Arrays.asList((String[]) ((Array) value).getArray());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read array column " + column, e);
        }
    }

    /** A {@code jsonb} column as an object; {@code null} stays {@code null}. */
    public static JsonObject json(DbRow row, String column) {
        return json(row, column, JsonReader::readObject);
    }

    /** A {@code json} or {@code jsonb} column holding an array; {@code null} stays {@code null}. */
    public static JsonArray jsonArray(DbRow row, String column) {
        return json(row, column, JsonReader::readArray);
    }

    private static <T> T json(DbRow row, String column, Function<JsonReader, T> read) {
        Object value = raw(row, column);
        if (value == null) {
            return null;
        }
        try (JsonReader reader = JSON.createReader(new StringReader(value.toString()))) {
            return read.apply(reader);
        }
    }

    /** A {@code bytea} column; {@code null} stays {@code null}. */
    public static byte[] bytes(DbRow row, String column) {
        return (byte[]) raw(row, column);
    }

    /** An instant as a statement parameter (the JDBC driver takes {@code OffsetDateTime}, not {@code Instant}). */
    public static OffsetDateTime param(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }

    private static Object raw(DbRow row, String column) {
        return row.column(column).get(Object.class);
    }
}
