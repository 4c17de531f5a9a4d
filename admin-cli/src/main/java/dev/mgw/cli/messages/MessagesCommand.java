package dev.mgw.cli.messages;

import java.util.Optional;

import dev.mgw.cli.Output;
import dev.mgw.core.messages.MessageView;
import dev.mgw.core.messages.Messages;
import dev.mgw.core.messages.StoredAttachment;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import picocli.CommandLine.Command;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw messages}: what happened to messages, and a second chance for failed ones. */
@Command(name = "messages", mixinStandardHelpOptions = true,
         description = "List and inspect messages; put failed ones back in the queue, one or in bulk; cancel queued ones; apply retention now.",
         subcommands = {ListMessages.class, ShowMessage.class, RetryMessage.class, CancelMessage.class, PurgeMessages.class})
public final class MessagesCommand {
    /** The JSON shape of a message in every {@code mgw messages} command. */
    static JsonObjectBuilder json(Messages.Listed listed) {
        MessageView m = listed.message();
        JsonObjectBuilder json = JSON.createObjectBuilder()
                .add("id", m.id().toString())
                .add("api_key_id", m.keyId().toString())
                .add("key_name", listed.keyName())
                .add("status", m.status())
                .add("from", m.sender())
                .add("to", JSON.createArrayBuilder(m.to()))
                .add("cc", JSON.createArrayBuilder(m.cc()))
                .add("bcc", JSON.createArrayBuilder(m.bcc()))
                .add("subject", m.subject())
                .add("tags", JSON.createObjectBuilder(new java.util.LinkedHashMap<String, Object>(m.tags())))
                .add("attempts", m.attempts())
                .add("created_at", m.createdAt().toString());
        optional(json, "send_at", m.sendAt().map(Object::toString));
        optional(json, "sent_at", m.sentAt().map(Object::toString));
        optional(json, "next_attempt_at", m.status().equals("queued") ? m.nextAttemptAt().map(Object::toString)
                                                                       : Optional.empty());
        optional(json, "last_error", m.lastError());
        optional(json, "transport", m.transport());
        optional(json, "smtp_message_id", m.smtpMessageId());
        optional(json, "request_id", m.requestId());
        JsonArrayBuilder attachments = JSON.createArrayBuilder();
        for (StoredAttachment attachment : m.attachments()) {
            JsonObjectBuilder entry = JSON.createObjectBuilder()
                    .add("filename", attachment.filename())
                    .add("content_type", attachment.contentType())
                    .add("size", attachment.size());
            optional(entry, "content_id", attachment.contentId());
            attachments.add(entry);
        }
        return json.add("attachments", attachments);
    }

    private static void optional(JsonObjectBuilder json, String name, Optional<String> value) {
        value.ifPresentOrElse(v -> json.add(name, v), () -> json.addNull(name));
    }

    static String when(Optional<java.time.Instant> instant) {
        return Output.time(instant, "-");
    }
}
