package dev.mgw.cli.webhooks;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.DurationConverter;
import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw webhooks replay ID [--since 1h]}. */
@Command(name = "replay", mixinStandardHelpOptions = true,
         description = "Queue an endpoint's failed deliveries again: same event ids and bodies, a fresh set of attempts.")
public final class ReplayDeliveries extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "The endpoint id.")
    private String id;

    @Option(names = "--since", paramLabel = "SPAN", converter = DurationConverter.class,
            description = "Only events of the last SPAN, e.g. 90m, 1h, 2d (default: every failed delivery kept).")
    private Duration since;

    @Override
    public Integer call() {
        UUID endpointId = WebhooksCommand.endpointId(id);
        Instant from = since == null ? Instant.EPOCH : mgw().clock().instant().minus(since);
        long replayed = WebhooksCommand.outbox(mgw()).replay(endpointId, from);
        if (json()) {
            Output.json(out(), JSON.createObjectBuilder().add("endpoint_id", endpointId.toString())
                    .add("replayed", replayed).build());
        } else {
            out().println("Queued " + replayed + (replayed == 1 ? " failed delivery" : " failed deliveries")
                          + " of webhook endpoint " + endpointId + " again.");
            out().flush();
        }
        return 0;
    }
}
