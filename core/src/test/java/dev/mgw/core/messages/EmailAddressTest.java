package dev.mgw.core.messages;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmailAddressTest {
    @Test
    void plainAddress() {
        EmailAddress address = EmailAddress.parse("Jane.Doe+tag@Example.COM");
        assertEquals("Jane.Doe+tag", address.local());
        assertEquals("example.com", address.domain());
        assertEquals("Jane.Doe+tag@example.com", address.address());
    }

    @Test
    void internationalDomainBecomesPunycode() {
        assertEquals("info@xn--mnchen-3ya.example", EmailAddress.parse("info@münchen.example").address());
    }

    @Test
    void lengthsFollowRfc5321() {
        String local64 = "a".repeat(64);
        assertEquals(local64, EmailAddress.parse(local64 + "@example.com").local());
        assertRefused("a".repeat(65) + "@example.com", "local part is longer than 64");
        String label = "b".repeat(60);
        String domain = label + "." + label + "." + label + ".example";
        assertEquals(190, domain.length(), "64 + 1 + 190 = 255 characters");
        assertRefused(local64 + "@" + domain, "longer than 254");
        assertRefused("user@" + "d".repeat(64) + ".com", "not a valid domain");
    }

    @Test
    void malformedAddressesAreRefused() {
        assertRefused("", "must not be empty");
        assertRefused("no-at-sign", "name@example.com");
        assertRefused("@example.com", "name@example.com");
        assertRefused("user@", "name@example.com");
        assertRefused(".user@example.com", "misplaced dot");
        assertRefused("us..er@example.com", "misplaced dot");
        assertRefused("us er@example.com", "not allowed");
        assertRefused("user@localhost", "needs a dot");
        assertRefused("user@[127.0.0.1]", "IP address literals");
        assertRefused("user@127.0.0.1", "IP addresses");
        assertRefused("user@-bad.example", "not a valid domain");
        assertRefused("user@exa_mple.com", "not a valid domain");
        assertRefused("user@example..com", "not a valid domain");
        assertRefused("ünïcode@example.com", "not allowed");
        assertRefused("a@b@example.com", "not allowed");
    }

    @Test
    void singleLabelDomainWhenAllowed() {
        assertEquals("localhost", EmailAddress.parse("noreply@localhost", false).domain());
    }

    @Test
    void mailboxWithAndWithoutDisplayName() {
        assertEquals(Optional.empty(), EmailAddress.parseMailbox("a@example.com").name());
        EmailAddress.Mailbox named = EmailAddress.parseMailbox("Acme Billing <billing@acme.example>");
        assertEquals(Optional.of("Acme Billing"), named.name());
        assertEquals("billing@acme.example", named.address().address());
        EmailAddress.Mailbox quoted = EmailAddress.parseMailbox("\"Doe, Jane\" <jane@example.com>");
        assertEquals(Optional.of("Doe, Jane"), quoted.name());
        assertEquals(Optional.empty(), EmailAddress.parseMailbox("<jane@example.com>").name());
        assertThrows(IllegalArgumentException.class, () -> EmailAddress.parseMailbox("Jane <jane@example.com"));
    }

    private static void assertRefused(String text, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmailAddress.parse(text));
        assertTrue(e.getMessage().contains(reason), text + " -> " + e.getMessage());
    }
}
