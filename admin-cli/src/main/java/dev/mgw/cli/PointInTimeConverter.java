package dev.mgw.cli;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.function.Function;

import picocli.CommandLine;

/**
 * Reads a point in time as operators write it: a span back from now ({@code 2h}, {@code 7d}, as
 * {@link DurationConverter} reads it), a UTC day ({@code 2026-11-24}, its midnight) or an RFC 3339
 * time ({@code 2026-11-24T17:00:00Z}).
 */
public final class PointInTimeConverter implements CommandLine.ITypeConverter<PointInTimeConverter.PointInTime> {
    /** A time that may be relative to now: {@link #at} tells it by the tool's clock. */
    public record PointInTime(Function<Clock, Instant> resolve) {
        public Instant at(Clock clock) {
            return resolve.apply(clock);
        }
    }

    @Override
    public PointInTime convert(String value) {
        String text = value.strip();
        try {
            Instant instant = OffsetDateTime.parse(text).toInstant();
            return new PointInTime(clock -> instant);
        } catch (DateTimeParseException e) {
            // not a time; a day or a span, then
        }
        try {
            Instant midnight = LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            return new PointInTime(clock -> midnight);
        } catch (DateTimeParseException e) {
            // not a day either
        }
        try {
            Duration ago = new DurationConverter().convert(text);
            return new PointInTime(clock -> clock.instant().minus(ago));
        } catch (CommandLine.TypeConversionException e) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a time: give a span back from now (90m, 2h, 7d), a UTC day (2026-11-24) "
                    + "or an RFC 3339 time (2026-11-24T17:00:00Z)");
        }
    }
}
