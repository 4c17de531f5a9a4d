package dev.mgw.core.webhooks;

import dev.mgw.core.MgwException;

/** The key already has the most endpoints it may have. */
public final class EndpointLimitException extends MgwException {
    public EndpointLimitException(int limit) {
        super("a key has at most " + limit + " webhook endpoints; delete one first");
    }
}
