package dev.mgw.cli.webhooks;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.cli.Table;
import dev.mgw.core.webhooks.DeliveryView;
import dev.mgw.core.webhooks.Owner;
import dev.mgw.core.webhooks.WebhookJson;

import jakarta.json.JsonArrayBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw webhooks deliveries ID [--status failed]}. */
@Command(name = "deliveries", mixinStandardHelpOptions = true, description = "An endpoint's deliveries, newest first.")
public final class ListDeliveries extends MgwCommand implements Callable<Integer> {
    private static final Set<String> STATUSES = Set.of("pending", "delivered", "failed");

    @Parameters(paramLabel = "ID", description = "The endpoint id.")
    private String id;

    @Option(names = "--status", paramLabel = "S", description = "pending, delivered or failed.")
    private String status;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N (default ${DEFAULT-VALUE}).")
    private int limit;

    @Override
    public Integer call() {
        if (status != null && !STATUSES.contains(status)) {
            throw new ParameterException(spec.commandLine(), "--status must be one of pending, delivered, failed");
        }
        if (limit < 1 || limit > 10_000) {
            throw new ParameterException(spec.commandLine(), "--limit must be between 1 and 10000");
        }
        UUID endpointId = WebhooksCommand.endpointId(id);
        WebhooksCommand.endpoints(mgw()).find(Owner.operator(), endpointId)
                .orElseThrow(() -> WebhooksCommand.notFound(endpointId));
        List<DeliveryView> deliveries = WebhooksCommand.outbox(mgw())
                .deliveries(endpointId, Optional.ofNullable(status), Optional.empty(), limit);
        if (json()) {
            JsonArrayBuilder array = JSON.createArrayBuilder();
            deliveries.forEach(d -> array.add(WebhookJson.delivery(d)));
            Output.json(out(), array.build());
            return 0;
        }
        Table table = Table.of("#ID", "EVENT ID", "TYPE", "STATUS", "#ATTEMPTS", "#CODE", "NEXT ATTEMPT", "CREATED",
                               "LAST ERROR");
        for (DeliveryView d : deliveries) {
            table.row(d.id(), d.eventId(), d.type(), d.status(), d.attempts(),
                      d.lastResponseCode().map(String::valueOf).orElse("-"), Output.time(d.nextAttemptAt(), "-"),
                      Output.time(d.createdAt()), d.lastError().orElse("-"));
        }
        table.print(out());
        return 0;
    }
}
