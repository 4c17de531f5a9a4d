package dev.mgw.server.delivery;

import java.util.List;
import java.util.Optional;

import dev.mgw.core.messages.RelayReply;
import dev.mgw.core.messages.Refusal;

/** What one attempt to hand a message to the relay came to, with the relay's replies. */
sealed interface SendResult {
    /**
     * Taken by the relay (250) for {@code accepted}.
     *
     * @param reply    the relay's reply, e.g. {@code 250 2.0.0 Ok: queued as 4Xk}
     * @param accepted the recipients it was taken for
     * @param refused  recipients the relay refused at RCPT while taking the message for the others
     */
    record Delivered(RelayReply reply, List<String> accepted, List<Refusal> refused) implements SendResult {
        public Delivered {
            accepted = List.copyOf(accepted);
            refused = List.copyOf(refused);
        }

        /** A note for the message's last_error: the refused recipients, if any. */
        Optional<String> note() {
            return refused.isEmpty() ? Optional.empty()
                    : Optional.of("refused: " + String.join("; ", refused.stream()
                            .map(r -> r.recipient() + " (" + r.reply().text() + ")").toList()));
        }
    }

    /**
     * Worth trying again later: 4xx, timeout, refused or lost connection, TLS or login trouble.
     *
     * @param reply   the relay's reply, when it gave one
     * @param refused when every recipient was refused at RCPT (some of them for now): each refusal
     */
    record Transient(String error, Optional<RelayReply> reply, List<Refusal> refused) implements SendResult {
        public Transient {
            refused = List.copyOf(refused);
        }

        Transient(String error) {
            this(error, Optional.empty(), List.of());
        }
    }

    /**
     * The relay said no for good (5xx), or the message cannot be rendered.
     *
     * @param refused when every recipient was refused for good at RCPT: each refusal
     */
    record Permanent(String error, Optional<RelayReply> reply, List<Refusal> refused) implements SendResult {
        public Permanent {
            refused = List.copyOf(refused);
        }

        Permanent(String error) {
            this(error, Optional.empty(), List.of());
        }
    }
}
