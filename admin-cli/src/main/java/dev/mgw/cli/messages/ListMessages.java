package dev.mgw.cli.messages;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.cli.PointInTimeConverter;
import dev.mgw.cli.PointInTimeConverter.PointInTime;
import dev.mgw.cli.Table;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.messages.MessageFilter;
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
    @Option(names = "--status", paramLabel = "S", description = "queued, sending, sent, failed or canceled.")
    private String status;

    @Option(names = "--key", paramLabel = "KEY", description = "Only this key's messages (id, name or prefix).")
    private String key;

    @Option(names = "--to", paramLabel = "ADDR", description = "Only messages to this address (to, cc or bcc).")
    private String to;

    @Option(names = "--tag", paramLabel = "NAME:VALUE", description = "Only messages with this tag (repeatable: all of them).")
    private List<String> tags = List.of();

    @Option(names = "--since", paramLabel = "WHEN", converter = PointInTimeConverter.class,
            description = "Accepted at or after WHEN: a span back from now (2h, 7d), a UTC day (2026-11-24) or an RFC 3339 time.")
    private PointInTime since;

    @Option(names = "--until", paramLabel = "WHEN", converter = PointInTimeConverter.class,
            description = "Accepted before WHEN (as --since).")
    private PointInTime until;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N (default ${DEFAULT-VALUE}).")
    private int limit;

    @Override
    public Integer call() {
        MessageFilter filter = filter();
        if (limit < 1 || limit > 10_000) {
            throw new ParameterException(spec.commandLine(), "--limit must be between 1 and 10000");
        }
        if (key != null) {
            filter = filter.withKey(new ApiKeys(mgw().database(), new KeySecrets(), mgw().clock()).resolve(key).id());
        }
        List<Messages.Listed> messages = new Messages(mgw().database()).list(filter, limit);
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

    /** The filter the options describe, checked before the database is asked. */
    private MessageFilter filter() {
        if (status != null && !MessageFilter.STATUSES.contains(status)) {
            throw new ParameterException(spec.commandLine(), "--status must be one of "
                                                             + String.join(", ", MessageFilter.STATUSES));
        }
        Optional<String> address = Optional.ofNullable(to).map(text -> {
            try {
                return EmailAddress.parse(text).address();
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--to is not a valid address: " + e.getMessage());
            }
        });
        Map<String, String> tagMap = new LinkedHashMap<>();
        for (String tag : tags) {
            int colon = tag.indexOf(':');
            if (colon < 1) {
                throw new ParameterException(spec.commandLine(), "--tag must be NAME:VALUE, e.g. --tag order:A-17");
            }
            if (tagMap.putIfAbsent(tag.substring(0, colon), tag.substring(colon + 1)) != null) {
                throw new ParameterException(spec.commandLine(), "--tag names '" + tag.substring(0, colon) + "' twice");
            }
        }
        Optional<Instant> from = Optional.ofNullable(since).map(t -> t.at(mgw().clock()));
        Optional<Instant> to = Optional.ofNullable(until).map(t -> t.at(mgw().clock()));
        if (from.isPresent() && to.isPresent() && !from.get().isBefore(to.get())) {
            throw new ParameterException(spec.commandLine(), "--until must be later than --since");
        }
        return new MessageFilter(Optional.ofNullable(status), Optional.<UUID>empty(), address, tagMap, from, to);
    }

    private static String recipients(MessageView m) {
        int others = m.to().size() + m.cc().size() + m.bcc().size() - 1;
        return m.to().getFirst() + (others > 0 ? " +" + others : "");
    }

    private static String shorten(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
