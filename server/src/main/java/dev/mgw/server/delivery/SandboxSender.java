package dev.mgw.server.delivery;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

import dev.mgw.core.messages.OutboundMessage;
import dev.mgw.core.messages.RelayReply;

import jakarta.mail.MessagingException;

/** Without SMTP_HOST: renders the full MIME (so bad content still fails) and opens no socket. */
final class SandboxSender implements MailSender {
    private final MailRenderer renderer;

    SandboxSender(MailRenderer renderer) {
        this.renderer = renderer;
    }

    @Override
    public SendResult send(OutboundMessage message) {
        try {
            renderer.render(message).writeTo(OutputStream.nullOutputStream());
            return new SendResult.Delivered(new RelayReply(250, "sandbox: rendered, not sent"), message.pendingRecipients(),
                                            List.of());
        } catch (MessagingException | IOException | RuntimeException e) {
            return MailRenderer.renderFailed(e);
        }
    }

    /** Nothing to abort: a sandbox send holds no connection and ends as soon as it is rendered. */
    @Override
    public void abort() {
    }

    @Override
    public String transport() {
        return "sandbox";
    }

    @Override
    public void close() {
    }
}
