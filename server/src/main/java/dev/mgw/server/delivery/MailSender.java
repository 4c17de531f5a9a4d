package dev.mgw.server.delivery;

import dev.mgw.core.messages.OutboundMessage;

/** Hands messages to a relay (or the sandbox); one per worker, used by one thread. */
interface MailSender extends AutoCloseable {
    SendResult send(OutboundMessage message);

    /** {@code smtp} or {@code sandbox}, as recorded with the message. */
    String transport();

    @Override
    void close();
}
