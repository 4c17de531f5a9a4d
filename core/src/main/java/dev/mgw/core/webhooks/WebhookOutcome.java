package dev.mgw.core.webhooks;

import java.time.Instant;
import java.util.Optional;

/** What an attempt came to; recorded only while the delivery is still at that attempt. */
public sealed interface WebhookOutcome {
    long id();

    int attempt();

    /** The endpoint's answer, if it gave one: its status code and the first 1 KB of its body. */
    Optional<Response> response();

    record Response(int code, String bodyExcerpt) {
    }

    /** A 2xx in time. */
    record Delivered(long id, int attempt, Response answer) implements WebhookOutcome {
        @Override
        public Optional<Response> response() {
            return Optional.of(answer);
        }
    }

    /** Anything else, with attempts left: tried again at {@code nextAttemptAt}. */
    record Retry(long id, int attempt, Optional<Response> response, String error, Instant nextAttemptAt)
            implements WebhookOutcome {
    }

    /**
     * No more attempts: the last one failed, or the endpoint answered 410 ({@code gone}), which
     * also disables the endpoint.
     */
    record Failed(long id, int attempt, Optional<Response> response, String error, boolean gone)
            implements WebhookOutcome {
    }
}
