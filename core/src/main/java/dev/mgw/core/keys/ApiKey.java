package dev.mgw.core.keys;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.MgwException;
import dev.mgw.core.messages.EmailAddress;

/**
 * An API key as operators see it; the secret itself is never stored, only its bcrypt hash
 * (kept apart in {@link StoredKey}).
 *
 * @param allowedRecipients addresses ({@code a@example.com}) or domains ({@code example.com})
 *                          this key may send to; empty = anyone
 */
public record ApiKey(UUID id,
                     String name,
                     String prefix,
                     int dailyLimit,
                     boolean active,
                     Optional<List<String>> allowedRecipients,
                     Instant createdAt,
                     Optional<Instant> revokedAt,
                     Optional<Instant> lastUsedAt) {

    public String status() {
        return active ? "active" : "revoked";
    }

    /** Whether this key may send to the address: listed itself, or its domain listed. */
    public boolean allowsRecipient(EmailAddress address) {
        if (allowedRecipients.isEmpty()) {
            return true;
        }
        String full = address.address().toLowerCase(Locale.ROOT);
        return allowedRecipients.get().stream()
                .anyMatch(rule -> rule.indexOf('@') >= 0 ? rule.equals(full) : rule.equals(address.domain()));
    }

    /**
     * Normalises {@code --allowed-recipients} entries: addresses stay addresses, {@code example.com}
     * or {@code @example.com} become a domain rule; all lower case, domains in ASCII form.
     */
    public static List<String> normalizeRecipientRules(List<String> rules) {
        List<String> normalized = new ArrayList<>();
        for (String raw : rules) {
            String rule = raw.strip();
            if (rule.isEmpty()) {
                continue;
            }
            try {
                normalized.add(rule.indexOf('@') > 0
                                       ? EmailAddress.parse(rule).address().toLowerCase(Locale.ROOT)
                                       : EmailAddress.asciiDomain(rule.startsWith("@") ? rule.substring(1) : rule, true));
            } catch (IllegalArgumentException e) {
                throw new MgwException("allowed recipient '" + rule + "': " + e.getMessage());
            }
        }
        if (normalized.isEmpty()) {
            throw new MgwException("allowed recipients must list at least one address or domain");
        }
        return List.copyOf(normalized);
    }
}
