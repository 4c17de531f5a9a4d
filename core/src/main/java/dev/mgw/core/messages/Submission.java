package dev.mgw.core.messages;

import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.submission.RawMime;

/**
 * A message a caller asks the gateway to accept.
 *
 * @param keyId       the authenticated key
 * @param keyHash     the bcrypt hash the caller's secret was verified against: the charge only
 *                    goes through while the key still has it (not revoked, not rotated)
 * @param requestId   the request's id, kept with the message for its delivery log lines
 * @param idempotency the client's Idempotency-Key and the hash of its canonical request
 * @param mime        the MIME an SMTP client submitted, stored and relayed as it is; empty for HTTP
 */
public record Submission(UUID keyId,
                         String keyHash,
                         NewMessage message,
                         String requestId,
                         Optional<Idempotency> idempotency,
                         Optional<RawMime> mime) {

    /** A message sent over HTTP: delivery renders its MIME from its fields. */
    public Submission(UUID keyId, String keyHash, NewMessage message, String requestId,
                      Optional<Idempotency> idempotency) {
        this(keyId, keyHash, message, requestId, idempotency, Optional.empty());
    }

    /** An {@code Idempotency-Key} with the SHA-256 of the canonical request it came with. */
    public record Idempotency(String key, String requestHash) {
    }

    @Override
    public String toString() {
        return "Submission[" + keyId + ", " + message + "]";
    }
}
