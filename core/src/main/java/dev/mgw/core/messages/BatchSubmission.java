package dev.mgw.core.messages;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A batch of messages a caller asks the gateway to accept together (all or none).
 *
 * @param keyHash     as in {@link Submission}
 * @param idempotency the batch's Idempotency-Key and the hash of its canonical request
 */
public record BatchSubmission(UUID keyId,
                              String keyHash,
                              List<NewMessage> messages,
                              String requestId,
                              Optional<Submission.Idempotency> idempotency) {
    public BatchSubmission {
        messages = List.copyOf(messages);
    }

    @Override
    public String toString() {
        return "BatchSubmission[" + keyId + ", " + messages.size() + " messages]";
    }
}
