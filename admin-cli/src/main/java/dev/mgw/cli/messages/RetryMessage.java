package dev.mgw.cli.messages;

import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.core.messages.Messages;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mgw messages retry ID}. */
@Command(name = "retry", mixinStandardHelpOptions = true,
         description = "Put a failed message back in the queue with a fresh set of attempts (no new quota charge).")
public final class RetryMessage extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "The message id.")
    private String id;

    @Override
    public Integer call() {
        UUID messageId = MessagesCommand.messageId(id);
        Messages messages = new Messages(mgw().database());
        messages.retry(messageId);
        if (json()) {
            Output.json(out(), MessagesCommand.json(messages.find(messageId).orElseThrow()).build());
        } else {
            out().println("Message " + messageId + " is queued again.");
            out().flush();
        }
        return 0;
    }
}
