package dev.mgw.core.messages;

/** The relay refused one recipient at {@code RCPT TO}: permanently (5xx) or for now (4xx). */
public record Refusal(String recipient, RelayReply reply) {
    public boolean permanent() {
        return reply.permanent();
    }
}
