package dev.mgw.server.submission;

import java.util.UUID;

import dev.mgw.core.messages.EmailAddress;

/**
 * Whether a recipient is on the sending key's or the global suppression list (SPEC §10): a
 * suppressed {@code RCPT TO} is refused with {@code 550 5.1.1}.
 */
@FunctionalInterface
public interface SuppressionCheck {
    boolean suppressed(UUID keyId, EmailAddress address);

    /**
     * No list to check yet. TODO(issue 15): the suppressions table comes with the timeline branch
     * (issue 14); the lead wires its check in here when both are merged.
     */
    SuppressionCheck NONE = (keyId, address) -> false;
}
