package dev.mgw.core.messages;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A stored message as its sender (and an operator) may see it: status, envelope and attachments,
 * no bodies; {@code smtpCode} and {@code smtpReply} are the relay's latest reply.
 */
public record MessageView(UUID id,
                          UUID keyId,
                          String status,
                          String sender,
                          List<String> to,
                          List<String> cc,
                          List<String> bcc,
                          String subject,
                          Map<String, String> tags,
                          Instant createdAt,
                          Optional<Instant> sendAt,
                          Optional<Instant> sentAt,
                          int attempts,
                          Optional<Instant> nextAttemptAt,
                          Optional<String> lastError,
                          Optional<String> transport,
                          Optional<String> smtpMessageId,
                          Optional<String> requestId,
                          List<StoredAttachment> attachments,
                          Optional<Integer> smtpCode,
                          Optional<String> smtpReply) {
}
