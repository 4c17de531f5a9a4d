package dev.mgw.core.messages;

/** A reply of the relay: its code and its text as received, e.g. {@code 550 5.1.1 <a@example.com>: no such user}. */
public record RelayReply(int code, String text) {
    /** A 5xx: the relay will not take it, whenever asked again. */
    public boolean permanent() {
        return code >= 500;
    }
}
