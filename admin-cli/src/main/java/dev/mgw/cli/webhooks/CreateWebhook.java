package dev.mgw.cli.webhooks;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.webhooks.Owner;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mgw webhooks create --key KEY --url URL [--events a,b]}: a new endpoint, whose secret is printed this once. */
@Command(name = "create", mixinStandardHelpOptions = true,
         description = "Add a webhook endpoint to a key and print its signing secret (shown only this once).")
public final class CreateWebhook extends MgwCommand implements Callable<Integer> {
    @Option(names = "--key", required = true, paramLabel = "KEY", description = "The key (id, name or prefix).")
    private String key;

    @Option(names = "--url", required = true, paramLabel = "URL", description = "https:// URL that receives the events.")
    private String url;

    @Option(names = "--events", split = ",", paramLabel = "TYPE",
            description = "Event types to send, e.g. message.bounced,message.failed (default: all).")
    private List<String> events;

    @Option(names = "--description", paramLabel = "TEXT", description = "A note for people.")
    private String description;

    @Override
    public Integer call() {
        var keyId = new ApiKeys(mgw().database(), new KeySecrets(), mgw().clock()).resolve(key).id();
        WebhooksCommand.print(out(), WebhooksCommand.endpoints(mgw()).create(Owner.operator(), keyId, url,
                                                                            Optional.ofNullable(events),
                                                                            Optional.ofNullable(description)),
                              json(), "Created");
        return 0;
    }
}
