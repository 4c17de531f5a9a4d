package dev.mgw.server.delivery;

import java.util.Optional;

/** What one attempt to hand a message to the relay came to. */
sealed interface SendResult {
    /**
     * Taken by the relay (250).
     *
     * @param reply    the relay's reply, e.g. {@code 250 2.0.0 Ok: queued as 4Xk}
     * @param rejected recipients the relay refused while taking the message for the others
     */
    record Delivered(String reply, Optional<String> rejected) implements SendResult {
    }

    /** Worth trying again later: 4xx, timeout, refused or lost connection, TLS or login trouble. */
    record Transient(String error) implements SendResult {
    }

    /** The relay said no for good (5xx), or the message cannot be rendered. */
    record Permanent(String error) implements SendResult {
    }
}
