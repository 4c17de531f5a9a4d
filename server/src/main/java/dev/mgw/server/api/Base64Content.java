package dev.mgw.server.api;

import dev.mgw.core.messages.AttachmentBytes;

import jakarta.json.JsonString;

/**
 * An attachment's {@code content} in the request's JSON tree, decoded while the body streamed in
 * ({@link SendBody}): the base64 text itself is never kept. Its string is the SHA-256 of the
 * decoded bytes, so the canonical request that idempotency compares covers the content, and
 * equal bytes compare equal however they were encoded.
 */
final class Base64Content implements JsonString {
    private final AttachmentBytes bytes;
    private final String digest;

    Base64Content(AttachmentBytes bytes, String sha256Hex) {
        this.bytes = bytes;
        this.digest = "sha256:" + sha256Hex;
    }

    AttachmentBytes bytes() {
        return bytes;
    }

    @Override
    public String getString() {
        return digest;
    }

    @Override
    public CharSequence getChars() {
        return digest;
    }

    @Override
    public ValueType getValueType() {
        return ValueType.STRING;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof JsonString string && digest.equals(string.getString());
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return "\"" + digest + "\"";
    }
}
