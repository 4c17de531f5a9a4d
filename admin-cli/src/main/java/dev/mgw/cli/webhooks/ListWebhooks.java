package dev.mgw.cli.webhooks;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.cli.Table;
import dev.mgw.core.events.EventType;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.webhooks.Endpoint;
import dev.mgw.core.webhooks.Owner;
import dev.mgw.core.webhooks.WebhookJson;

import jakarta.json.JsonArrayBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw webhooks list [--key KEY]}. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List webhook endpoints, oldest first.")
public final class ListWebhooks extends MgwCommand implements Callable<Integer> {
    @Option(names = "--key", paramLabel = "KEY", description = "Only this key's endpoints (id, name or prefix).")
    private String key;

    @Override
    public Integer call() {
        Optional<UUID> keyId = Optional.ofNullable(key)
                .map(ref -> new ApiKeys(mgw().database(), new KeySecrets(), mgw().clock()).resolve(ref).id());
        List<Endpoint> endpoints = WebhooksCommand.endpoints(mgw()).list(Owner.operator(), keyId);
        if (json()) {
            JsonArrayBuilder array = JSON.createArrayBuilder();
            endpoints.forEach(e -> array.add(WebhookJson.endpoint(e)));
            Output.json(out(), array.build());
            return 0;
        }
        Table table = Table.of("ID", "KEY ID", "STATUS", "URL", "EVENTS", "LAST DELIVERY", "#CODE");
        for (Endpoint e : endpoints) {
            table.row(e.id(), e.keyId(), WebhooksCommand.status(e), e.url(),
                      e.events().size() == EventType.NAMES.size() ? "all" : String.join(",", e.events()),
                      e.lastDelivery().map(last -> Output.time(last.at())).orElse("-"),
                      e.lastDelivery().flatMap(Endpoint.LastDelivery::responseCode).map(String::valueOf).orElse("-"));
        }
        table.print(out());
        return 0;
    }
}
