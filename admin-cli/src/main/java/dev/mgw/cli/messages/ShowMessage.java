package dev.mgw.cli.messages;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.core.events.TimelineEvent;
import dev.mgw.core.events.TimelineJson;
import dev.mgw.core.messages.MessageView;
import dev.mgw.core.messages.Messages;
import dev.mgw.core.messages.StoredAttachment;

import jakarta.json.JsonObjectBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mgw messages show ID}. */
@Command(name = "show", mixinStandardHelpOptions = true, description = "Show one message's envelope, attachments and history (not its bodies).")
public final class ShowMessage extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "The message id, or its first 8 or more characters.")
    private String id;

    @Override
    public Integer call() {
        Messages.Listed listed = new Messages(mgw().database()).resolve(id);
        MessageView m = listed.message();
        List<TimelineEvent> events = mgw().timeline().of(m);
        if (json()) {
            JsonObjectBuilder json = MessagesCommand.json(listed);
            m.smtpCode().ifPresentOrElse(code -> json.add("smtp_code", code), () -> json.addNull("smtp_code"));
            m.smtpReply().ifPresentOrElse(reply -> json.add("smtp_reply", reply), () -> json.addNull("smtp_reply"));
            Output.json(out(), json.add("events", TimelineJson.events(events)).build());
            return 0;
        }
        PrintWriter out = out();
        line(out, "id", m.id());
        line(out, "key", listed.keyName() + " (" + m.keyId() + ")");
        line(out, "status", m.status());
        line(out, "from", m.sender());
        line(out, "to", String.join(", ", m.to()));
        line(out, "cc", String.join(", ", m.cc()));
        line(out, "bcc", String.join(", ", m.bcc()));
        line(out, "subject", m.subject());
        line(out, "tags", m.tags().isEmpty() ? "" : m.tags().toString());
        line(out, "created", Output.time(m.createdAt()));
        line(out, "send at", MessagesCommand.when(m.sendAt()));
        line(out, "attempts", m.attempts());
        if (m.status().equals("queued")) {
            line(out, "next attempt", MessagesCommand.when(m.nextAttemptAt()));
        }
        line(out, "sent", MessagesCommand.when(m.sentAt()));
        line(out, "transport", m.transport().orElse("-"));
        line(out, "message-id", m.smtpMessageId().orElse("-"));
        line(out, "last error", m.lastError().orElse("-"));
        line(out, "relay reply", m.smtpReply().orElse("-"));
        line(out, "request id", m.requestId().orElse("-"));
        line(out, "attachments", m.attachments().isEmpty() ? "-" : m.attachments().size());
        for (StoredAttachment attachment : m.attachments()) {
            out.printf(Locale.ROOT, "  %s  %s  %,d bytes%s%n", attachment.filename(), attachment.contentType(), attachment.size(),
                       attachment.contentId().map(id -> "  inline, cid:" + id).orElse(""));
        }
        out.println("timeline:");
        for (TimelineEvent event : events) {
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "  %s  %-10s", Output.time(event.at()),
                                                                 event.type().wireName()));
            event.recipient().ifPresent(recipient -> text.append(' ').append(recipient));
            event.smtpReply().ifPresent(reply -> text.append("  ").append(reply.replace('\n', ' ')));
            event.detail().flatMap(detail -> Optional.ofNullable(detail.get("next_attempt_at")))
                    .ifPresent(next -> text.append("  next attempt ").append(next.toString().replace("\"", "")));
            out.println(text.toString().stripTrailing());
        }
        out.flush();
        return 0;
    }

    private static void line(PrintWriter out, String label, Object value) {
        out.printf("%-13s %s%n", label + ":", value);
    }
}
