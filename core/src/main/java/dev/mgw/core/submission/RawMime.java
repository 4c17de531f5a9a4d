package dev.mgw.core.submission;

/**
 * A message as an SMTP client submitted it (SPEC §13): the envelope sender of {@code MAIL FROM}
 * and the bytes of {@code DATA}, dot-unstuffed, stored and relayed as they are.
 */
public record RawMime(String envelopeFrom, byte[] content) {
    public RawMime {
        content = content.clone();
    }

    @Override
    public byte[] content() {
        return content.clone();
    }

    public int size() {
        return content.length;
    }

    @Override
    public String toString() {
        return "RawMime[" + content.length + " bytes]";
    }
}
