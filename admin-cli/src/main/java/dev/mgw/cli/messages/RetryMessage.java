package dev.mgw.cli.messages;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.cli.PointInTimeConverter;
import dev.mgw.cli.PointInTimeConverter.PointInTime;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.messages.Messages;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw messages retry ID} and {@code mgw messages retry --status failed [--since …] [--key …] [--dry-run]}. */
@Command(name = "retry", mixinStandardHelpOptions = true,
         description = {"Put a failed message back in the queue with a fresh set of attempts (no new quota charge);",
                        "with --status failed instead of an ID, every failed message (of --key, failed since --since)."})
public final class RetryMessage extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", arity = "0..1", description = "The message id, or its first 8 or more characters.")
    private String id;

    @Option(names = "--status", paramLabel = "failed", description = "Retry in bulk: every failed message.")
    private String status;

    @Option(names = "--since", paramLabel = "WHEN", converter = PointInTimeConverter.class,
            description = "In bulk: only messages that failed at or after WHEN: a span back from now (2h), a UTC day or an RFC 3339 time.")
    private PointInTime since;

    @Option(names = "--key", paramLabel = "KEY", description = "In bulk: only this key's messages (id, name or prefix).")
    private String key;

    @Option(names = "--dry-run", description = "In bulk: only count what would be retried.")
    private boolean dryRun;

    @Override
    public Integer call() {
        if (id != null) {
            if (status != null || since != null || key != null || dryRun) {
                throw new ParameterException(spec.commandLine(),
                                             "give either an ID or --status failed [--since …] [--key …] [--dry-run], not both");
            }
            return retryOne();
        }
        if (status == null) {
            throw new ParameterException(spec.commandLine(), "give an ID, or --status failed to retry in bulk");
        }
        if (!status.equals("failed")) {
            throw new ParameterException(spec.commandLine(), "--status must be failed: only failed messages can be retried");
        }
        return retryAll();
    }

    private int retryOne() {
        Messages messages = new Messages(mgw().database());
        UUID messageId = messages.resolve(id).message().id();
        messages.retry(messageId);
        if (json()) {
            Output.json(out(), MessagesCommand.json(messages.find(messageId).orElseThrow()).build());
        } else {
            out().println("Message " + messageId + " is queued again.");
            out().flush();
        }
        return 0;
    }

    private int retryAll() {
        Optional<UUID> keyId = Optional.ofNullable(key)
                .map(ref -> new ApiKeys(mgw().database(), new KeySecrets(), mgw().clock()).resolve(ref).id());
        Optional<Instant> failedSince = Optional.ofNullable(since).map(t -> t.at(mgw().clock()));
        long count = new Messages(mgw().database()).retryFailed(keyId, failedSince, dryRun);
        if (json()) {
            Output.json(out(), JSON.createObjectBuilder().add(dryRun ? "would_retry" : "retried", count).build());
        } else {
            String messages = count == 1 ? " failed message" : " failed messages";
            out().println(dryRun ? "Would queue " + count + messages + " again (dry run: nothing changed)."
                                 : "Queued " + count + messages + " again.");
            out().flush();
        }
        return 0;
    }
}
