package dev.mgw.core.suppressions;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * An address not to send to: for one key, or (no key) for every key.
 *
 * @param detail    the relay's reply of a hard bounce, or an operator's note
 * @param messageId the message whose bounce added it
 * @param expiresAt when it stops applying; empty = never
 */
public record Suppression(long id,
                          Optional<UUID> keyId,
                          String address,
                          String reason,
                          Optional<String> detail,
                          Optional<UUID> messageId,
                          Instant createdAt,
                          Optional<Instant> expiresAt) {
}
