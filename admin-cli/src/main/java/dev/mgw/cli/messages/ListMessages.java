package dev.mgw.cli.messages;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.cli.Table;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.messages.MessageView;
import dev.mgw.core.messages.Messages;

import jakarta.json.JsonArrayBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw messages list}. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List the newest messages.")
public final class ListMessages extends MgwCommand implements Callable<Integer> {
    private static final Set<String> STATUSES = Set.of("queued", "sending", "sent", "failed");

    @Option(names = "--status", paramLabel = "S", description = "queued, sending, sent or failed.")
    private String status;

    @Option(names = "--key", paramLabel = "KEY", description = "Only this key's messages (id, name or prefix).")
    private String key;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N (default ${DEFAULT-VALUE}).")
    private int limit;

    @Override
    public Integer call() {
        if (status != null && !STATUSES.contains(status)) {
            throw new ParameterException(spec.commandLine(), "--status must be one of queued, sending, sent, failed");
        }
        if (limit < 1 || limit > 10_000) {
            throw new ParameterException(spec.commandLine(), "--limit must be between 1 and 10000");
        }
        Optional<UUID> keyId = Optional.ofNullable(key)
                .map(ref -> new ApiKeys(mgw().database(), new KeySecrets(), mgw().clock()).resolve(ref).id());
        List<Messages.Listed> messages = new Messages(mgw().database()).list(Optional.ofNullable(status), keyId, limit);
        if (json()) {
            JsonArrayBuilder array = JSON.createArrayBuilder();
            messages.forEach(m -> array.add(MessagesCommand.json(m)));
            Output.json(out(), array.build());
            return 0;
        }
        Table table = Table.of("ID", "KEY", "STATUS", "#ATTEMPTS", "TO", "SUBJECT", "CREATED", "SENT");
        for (Messages.Listed listed : messages) {
            MessageView m = listed.message();
            table.row(m.id(), listed.keyName(), m.status(), m.attempts(), recipients(m), shorten(m.subject(), 40),
                      Output.time(m.createdAt()), MessagesCommand.when(m.sentAt()));
        }
        table.print(out());
        return 0;
    }

    private static String recipients(MessageView m) {
        int others = m.to().size() + m.cc().size() + m.bcc().size() - 1;
        return m.to().getFirst() + (others > 0 ? " +" + others : "");
    }

    private static String shorten(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
