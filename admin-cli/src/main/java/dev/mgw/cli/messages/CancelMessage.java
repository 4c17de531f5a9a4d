package dev.mgw.cli.messages;

import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.core.MgwException;
import dev.mgw.core.events.Timeline;
import dev.mgw.core.messages.Cancellations;
import dev.mgw.core.messages.Messages;
import dev.mgw.core.webhooks.Owner;
import dev.mgw.core.webhooks.WebhookOutbox;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mgw messages cancel ID}. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
         description = {"Cancel a queued message (new, scheduled or waiting for a retry): it is not sent, and its",
                        "recipients are given back to the key's quota if it was accepted today (UTC)."})
public final class CancelMessage extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "The message id, or its first 8 or more characters.")
    private String id;

    @Override
    public Integer call() {
        Messages messages = new Messages(mgw().database());
        Messages.Listed listed = messages.resolve(id);
        // the tool has no webhook workers to wake: a gateway finds the canceled event's deliveries at its next poll
        Timeline timeline = new Timeline(mgw().database(), new WebhookOutbox(mgw().database(), mgw().clock(), () -> {
        }), mgw().clock());
        Cancellations.Result result = new Cancellations(mgw().database(), timeline, mgw().clock())
                .cancel(Owner.operator(), listed.message().id());
        switch (result) {
            case Cancellations.Result.Canceled canceled -> {
                if (json()) {
                    Output.json(out(), MessagesCommand.json(new Messages.Listed(canceled.message(), listed.keyName())).build());
                } else {
                    out().println("Message " + canceled.message().id() + " is canceled.");
                    out().flush();
                }
                return 0;
            }
            case Cancellations.Result.NotCancelable notCancelable -> throw new MgwException(
                    "message " + notCancelable.message().id() + " is " + notCancelable.message().status()
                    + "; only a queued message can be canceled");
            case Cancellations.Result.NotFound notFound -> throw new MgwException("no message " + id.strip());
            case Cancellations.Result.KeyInvalid invalid -> throw new IllegalStateException("an operator has no key");
        }
    }
}
