package dev.mgw.core.messages;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * An RFC 5321 mailbox: a dot-atom local part (at most 64 octets) and a domain of valid DNS
 * labels, internationalised names accepted and kept in their ASCII (punycode) form, IP literals
 * refused, at most 254 octets in all.
 *
 * @param local   the local part, as given
 * @param domain  the domain in lower-case ASCII form
 * @param address {@code local@domain}: the address as used on the SMTP envelope and stored
 */
public record EmailAddress(String local, String domain, String address) {
    private static final int MAX_LOCAL = 64;
    private static final int MAX_ADDRESS = 254;
    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

    /** Parses an address whose domain must have at least one dot (recipients, senders). */
    public static EmailAddress parse(String text) {
        return parse(text, true);
    }

    /**
     * Parses an address.
     *
     * @param requireDot whether a single-label domain such as {@code localhost} is refused
     * @throws IllegalArgumentException with a message fit for an API error entry
     */
    public static EmailAddress parse(String text, boolean requireDot) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
        }
        int at = text.lastIndexOf('@');
        if (at <= 0 || at == text.length() - 1) {
            throw new IllegalArgumentException("must look like name@example.com");
        }
        String local = text.substring(0, at);
        String domain = text.substring(at + 1);
        checkLocal(local);
        String ascii = asciiDomain(domain, requireDot);
        if (local.length() + 1 + ascii.length() > MAX_ADDRESS) {
            throw new IllegalArgumentException("is longer than " + MAX_ADDRESS + " characters");
        }
        return new EmailAddress(local, ascii, local + "@" + ascii);
    }

    @Override
    public String toString() {
        return address();
    }

    private static void checkLocal(String local) {
        if (local.getBytes(StandardCharsets.UTF_8).length > MAX_LOCAL) {
            throw new IllegalArgumentException("local part is longer than " + MAX_LOCAL + " characters");
        }
        if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
            throw new IllegalArgumentException("local part has a misplaced dot");
        }
        for (int i = 0; i < local.length(); i++) {
            char c = local.charAt(i);
            boolean atext = c < 128 && (Character.isLetterOrDigit(c) || ATEXT_SPECIALS.indexOf(c) >= 0 || c == '.');
            if (!atext) {
                throw new IllegalArgumentException("local part contains a character that is not allowed ("
                                                   + describe(c) + ")");
            }
        }
    }

    /**
     * The lower-case ASCII form of a domain: IDN labels converted to punycode, every label
     * checked against the DNS rules (1–63 letters, digits or inner hyphens).
     */
    public static String asciiDomain(String domain, boolean requireDot) {
        if (domain.startsWith("[")) {
            throw new IllegalArgumentException("IP address literals are not accepted");
        }
        String ascii;
        if (domain.chars().allMatch(c -> c < 128)) {
            // already ASCII: nothing for IDNA to convert; the label rules below still apply
            ascii = domain.toLowerCase(Locale.ROOT);
        } else {
            try {
                ascii = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("domain \"" + printable(domain) + "\" is not a valid domain name");
            }
        }
        if (ascii.length() > 253) {
            throw new IllegalArgumentException("domain is longer than 253 characters");
        }
        String[] labels = ascii.split("\\.", -1);
        if (requireDot && labels.length < 2) {
            throw new IllegalArgumentException("domain \"" + printable(domain) + "\" needs a dot");
        }
        for (String label : labels) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")
                || !label.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '-'))) {
                throw new IllegalArgumentException("domain \"" + printable(domain) + "\" is not a valid domain name");
            }
        }
        if (labels.length > 1 && labels[labels.length - 1].chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("IP addresses are not accepted as domains");
        }
        return ascii;
    }

    /** Splits {@code Name <addr>} or {@code addr} into an optional display name and the address. */
    public static Mailbox parseMailbox(String text) {
        return parseMailbox(text, true);
    }

    /** As {@link #parseMailbox(String)}; {@code requireDot} as in {@link #parse(String, boolean)}. */
    public static Mailbox parseMailbox(String text, boolean requireDot) {
        if (text == null) {
            throw new IllegalArgumentException("must not be empty");
        }
        String trimmed = text.strip();
        int open = trimmed.lastIndexOf('<');
        if (open < 0) {
            return new Mailbox(Optional.empty(), parse(trimmed, requireDot));
        }
        if (!trimmed.endsWith(">")) {
            throw new IllegalArgumentException("must look like name@example.com or Name <name@example.com>");
        }
        String name = trimmed.substring(0, open).strip();
        if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
            name = name.substring(1, name.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        if (name.length() > 256) {
            throw new IllegalArgumentException("display name is longer than 256 characters");
        }
        EmailAddress address = parse(trimmed.substring(open + 1, trimmed.length() - 1), requireDot);
        return new Mailbox(name.isEmpty() ? Optional.empty() : Optional.of(name), address);
    }

    /** A display name and an address, as in {@code From: Name <addr>}. */
    public record Mailbox(Optional<String> name, EmailAddress address) {
    }

    private static String describe(char c) {
        return Character.isISOControl(c) || Character.isWhitespace(c)
                ? String.format("U+%04X", (int) c)
                : "'" + c + "'";
    }

    private static String printable(String value) {
        StringBuilder out = new StringBuilder();
        value.codePoints().limit(80).forEach(cp -> {
            if (Character.isISOControl(cp)) {
                out.append(String.format("\\u%04X", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }
}
