package dev.mgw.server.delivery;

import java.io.IOException;

import dev.mgw.core.db.DatabaseBusyException;
import dev.mgw.core.db.DatabaseUnavailableException;

import jakarta.mail.MessagingException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MailRendererTest {
    @Test
    void attachmentsTheDatabaseCannotServeNowAreATransientFailure() {
        // as the attachment stream reports it from inside the MIME writer
        IOException unreadable = new IOException("cannot read attachment 0",
                                                 new DatabaseUnavailableException("the database is unavailable", null));
        SendResult result = MailRenderer.renderFailed(new MessagingException("IOException while sending message", unreadable));
        assertInstanceOf(SendResult.Transient.class, result);
        assertInstanceOf(SendResult.Transient.class,
                         MailRenderer.renderFailed(new DatabaseBusyException("database work waited more than 1000 ms")));
    }

    @Test
    void aMessageThatCannotBeRenderedFailsForGood() {
        SendResult result = MailRenderer.renderFailed(new MessagingException("bad address"));
        assertInstanceOf(SendResult.Permanent.class, result);
        assertTrue(((SendResult.Permanent) result).error().startsWith("cannot render the message: bad address"));
    }
}
