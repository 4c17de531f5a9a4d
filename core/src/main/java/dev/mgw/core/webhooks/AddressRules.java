package dev.mgw.core.webhooks;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.mgw.core.config.AddressRange;

/**
 * Where webhooks may go (SPEC §11): not to loopback, private (RFC 1918, {@code fc00::/7}),
 * link-local, CGNAT, multicast, unspecified or reserved addresses, unless
 * {@code WEBHOOK_ALLOW_PRIVATE} is on. An endpoint URL names a host; the address is what counts,
 * so the check is made on every address the host resolves to, at every attempt, and the
 * connection then goes to the address that passed (see the server's webhook sender).
 */
public final class AddressRules {
    private static final Map<AddressRange, String> REFUSED = refused();

    private final boolean allowPrivate;

    public AddressRules(boolean allowPrivate) {
        this.allowPrivate = allowPrivate;
    }

    /** Why this address is refused (e.g. "loopback"), or empty when webhooks may go there. */
    public Optional<String> refusal(InetAddress address) {
        if (allowPrivate) {
            return Optional.empty();
        }
        return REFUSED.entrySet().stream()
                .filter(range -> range.getKey().contains(address))
                .map(Map.Entry::getValue)
                .findFirst();
    }

    /**
     * Resolves the host once and returns the address to connect to: the first one, if every
     * address the host has passes (a name that also points somewhere private is refused as a
     * whole, so that no choice among its addresses can lead there). The address keeps the host
     * name, for TLS (SNI and certificate checks) and the Host header.
     *
     * @throws RefusedAddressException when the host does not resolve or an address is refused
     */
    public InetAddress resolve(String host) {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new RefusedAddressException("cannot resolve " + host);
        }
        for (InetAddress address : addresses) {
            Optional<String> refusal = refusal(address);
            if (refusal.isPresent()) {
                throw new RefusedAddressException(host + " resolves to " + address.getHostAddress() + ", a "
                                                  + refusal.get() + " address (WEBHOOK_ALLOW_PRIVATE is off)");
            }
        }
        try {
            return InetAddress.getByAddress(host, addresses[0].getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a resolved address has a valid length", e);
        }
    }

    private static Map<AddressRange, String> refused() {
        Map<AddressRange, String> ranges = new LinkedHashMap<>();
        add(ranges, "unspecified", "0.0.0.0/8", "::/128");
        add(ranges, "loopback", "127.0.0.0/8", "::1/128");
        add(ranges, "private", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7");
        add(ranges, "link-local", "169.254.0.0/16", "fe80::/10");
        add(ranges, "CGNAT", "100.64.0.0/10");
        add(ranges, "multicast", "224.0.0.0/4", "ff00::/8");
        add(ranges, "reserved", "240.0.0.0/4");
        return Collections.unmodifiableMap(ranges);
    }

    private static void add(Map<AddressRange, String> ranges, String kind, String... blocks) {
        for (String block : blocks) {
            ranges.put(AddressRange.parse(block), kind);
        }
    }

    /** The host cannot be reached under these rules: it does not resolve, or an address is refused. */
    public static final class RefusedAddressException extends RuntimeException {
        public RefusedAddressException(String message) {
            super(message, null, false, false);
        }
    }
}
