package dev.mgw.server.observe;

import java.nio.charset.StandardCharsets;

import dev.mgw.server.api.Problems;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code GET /metrics}: Prometheus text format. */
public final class MetricsService implements HttpService {
    private final GatewayMetrics metrics;

    public MetricsService(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/metrics", RequestInfo.route("/metrics", this::scrape))
                .any("/metrics", Problems.methodNotAllowed("/metrics", "GET"));
    }

    private void scrape(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, GatewayMetrics.CONTENT_TYPE)
                .send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
    }
}
