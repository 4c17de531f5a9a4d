package dev.mgw.server.observe;

import java.net.InetAddress;
import java.util.List;

import dev.mgw.core.config.AddressRange;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ClientAddressTest {
    private static final InetAddress PROXY = InetAddress.ofLiteral("10.0.0.5");
    private static final InetAddress STRANGER = InetAddress.ofLiteral("192.0.2.80");
    private final ClientAddress behindProxies = new ClientAddress(List.of(AddressRange.parse("10.0.0.0/8"),
                                                                          AddressRange.parse("fd00::/8")));

    @Test
    void withoutTrustedProxiesThePeerIsTheClient() {
        assertEquals("10.0.0.5", new ClientAddress(List.of()).of(PROXY, List.of("203.0.113.7")));
    }

    @Test
    void anUntrustedPeersForwardedForIsIgnored() {
        assertEquals("192.0.2.80", behindProxies.of(STRANGER, List.of("203.0.113.7")));
    }

    @Test
    void aTrustedPeerWithoutForwardedForIsTheClient() {
        assertEquals("10.0.0.5", behindProxies.of(PROXY, List.of()));
    }

    @Test
    void theRightMostEntryThatIsNotATrustedProxyIsTheClient() {
        assertEquals("203.0.113.7", behindProxies.of(PROXY, List.of("203.0.113.7")));
        assertEquals("203.0.113.7", behindProxies.of(PROXY, List.of("203.0.113.7, 10.1.2.3")));
        assertEquals("203.0.113.7", behindProxies.of(PROXY, List.of("198.51.100.1,203.0.113.7, 10.1.2.3")),
                     "entries left of it are the client's own claims");
        assertEquals("203.0.113.7", behindProxies.of(PROXY, List.of("198.51.100.1", "203.0.113.7")),
                     "several header lines read as one list");
        assertEquals("2001:db8:0:0:0:0:0:1", behindProxies.of(PROXY, List.of("2001:db8::1, fd00::2")));
    }

    @Test
    void whenEveryEntryIsATrustedProxyTheLeftMostIsTheClient() {
        assertEquals("10.9.9.9", behindProxies.of(PROXY, List.of("10.9.9.9, 10.1.2.3")));
    }

    @Test
    void aMalformedEntryOnTheWayFallsBackToThePeer() {
        for (String forwarded : List.of("unknown", "203.0.113.7:4711", "proxy.example.com", "203.0.113.7,,",
                                        "203.0.113.7, garbage", "")) {
            assertEquals("10.0.0.5", behindProxies.of(PROXY, List.of(forwarded)), forwarded);
        }
        assertEquals("203.0.113.7", behindProxies.of(PROXY, List.of("garbage, 203.0.113.7")),
                     "an entry beyond the client's is never read");
    }
}
