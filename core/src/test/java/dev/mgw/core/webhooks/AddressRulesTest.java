package dev.mgw.core.webhooks;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressRulesTest {
    private final AddressRules rules = new AddressRules(false);

    @Test
    void everyRangeTheSpecNamesIsRefused() {
        assertRefused("loopback", "127.0.0.1", "127.255.0.9", "::1");
        assertRefused("private", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.10", "fc00::1", "fd12:3456::1");
        assertRefused("link-local", "169.254.169.254", "fe80::1");
        assertRefused("CGNAT", "100.64.0.1", "100.127.255.254");
        assertRefused("multicast", "224.0.0.1", "239.1.2.3", "ff02::1");
        assertRefused("unspecified", "0.0.0.0", "::");
        assertRefused("loopback", "::ffff:127.0.0.1");
    }

    @Test
    void publicAddressesPass() {
        for (String address : new String[] {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111"}) {
            assertEquals(Optional.empty(), rules.refusal(address(address)), address);
        }
    }

    @Test
    void aNameIsResolvedAndRefusedByTheAddressItHas() {
        AddressRules.RefusedAddressException refused =
                assertThrows(AddressRules.RefusedAddressException.class, () -> rules.resolve("localhost"));
        assertTrue(refused.getMessage().startsWith("localhost resolves to "), refused.getMessage());
        assertTrue(refused.getMessage().contains("loopback address"), refused.getMessage());
    }

    @Test
    void withPrivateAllowedTheResolvedAddressKeepsTheHostName() {
        InetAddress address = new AddressRules(true).resolve("localhost");
        assertTrue(address.isLoopbackAddress());
        assertEquals("localhost", address.getHostName(), "for TLS and the Host header");
    }

    private void assertRefused(String kind, String... addresses) {
        for (String address : addresses) {
            assertEquals(Optional.of(kind), rules.refusal(address(address)), address);
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
