package dev.mgw.server.submission;

import java.util.UUID;

import dev.mgw.core.messages.EmailAddress;

/**
 * Whether a recipient is on the sending key's or the global suppression list (SPEC §10): a
 * suppressed {@code RCPT TO} is refused with {@code 550 5.1.1}. The gateway answers it with the
 * accept path's own lookup ({@link dev.mgw.core.suppressions.Suppressions#isSuppressed}).
 */
@FunctionalInterface
public interface SuppressionCheck {
    boolean suppressed(UUID keyId, EmailAddress address);
}
