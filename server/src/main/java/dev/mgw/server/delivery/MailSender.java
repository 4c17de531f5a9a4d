package dev.mgw.server.delivery;

import dev.mgw.core.messages.OutboundMessage;

/**
 * Hands messages to a relay (or the sandbox); one per worker, used by one thread, except
 * {@link #abort}, which the lease watchdog calls from its own.
 */
interface MailSender extends AutoCloseable {
    SendResult send(OutboundMessage message);

    /** Ends the send in progress at once (its lease is running out); it then fails as transient. */
    void abort();

    /** {@code smtp} or {@code sandbox}, as recorded with the message. */
    String transport();

    @Override
    void close();
}
