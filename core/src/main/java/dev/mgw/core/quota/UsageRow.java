package dev.mgw.core.quota;

import java.time.LocalDate;
import java.util.UUID;

/** What one key sent on one UTC day, against its (current) daily limit. */
public record UsageRow(UUID keyId, String name, String prefix, LocalDate date, int sent, int limit) {
    public int remaining() {
        return Math.max(0, limit - sent);
    }
}
