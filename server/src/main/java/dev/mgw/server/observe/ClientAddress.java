package dev.mgw.server.observe;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import dev.mgw.core.config.AddressRange;

/**
 * Who sent a request ({@code TRUSTED_PROXIES}): the TCP peer, or, when the peer is a trusted
 * reverse proxy, the right-most {@code X-Forwarded-For} entry that is not itself a trusted proxy
 * (every entry trusted: the left-most). Entries left of that one were written by the client and
 * prove nothing. An entry on the way that is not an IP address literal (a name, a port, garbage)
 * makes the header unusable, and the peer is the answer.
 */
final class ClientAddress {
    private final List<AddressRange> trustedProxies;

    ClientAddress(List<AddressRange> trustedProxies) {
        this.trustedProxies = List.copyOf(trustedProxies);
    }

    /** @param forwardedFor the values of every {@code X-Forwarded-For} line, in the order received */
    String of(InetAddress peer, List<String> forwardedFor) {
        if (forwardedFor.isEmpty() || !trusted(peer)) {
            return peer.getHostAddress();
        }
        List<String> entries = new ArrayList<>();
        for (String value : forwardedFor) {
            for (String entry : value.split(",", -1)) {
                entries.add(entry.strip());
            }
        }
        InetAddress hop = peer;
        for (int i = entries.size() - 1; i >= 0 && trusted(hop); i--) {
            try {
                hop = InetAddress.ofLiteral(entries.get(i));
            } catch (IllegalArgumentException e) {
                return peer.getHostAddress();
            }
        }
        return hop.getHostAddress();
    }

    private boolean trusted(InetAddress address) {
        for (AddressRange range : trustedProxies) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
