package dev.mgw.server.observe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** etc/alerts.yml: valid for Prometheus, and covering what SPEC §14 asks operators to be woken for. */
class AlertRulesTest {
    static final Path ALERTS = Path.of("..", "etc", "alerts.yml");

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        Optional<Path> promtool = PrometheusText.findPromtool();
        assumeTrue(promtool.isPresent(), "promtool is not installed (PROMTOOL; scripts/fetch-promtool.sh fetches it)");
        Process process = new ProcessBuilder(promtool.get().toString(), "check", "rules", ALERTS.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("SUCCESS: 5 rules found"), output);
    }

    @Test
    void theRulesWatchQueueAgeFailuresWebhooksTheDatabaseAndTheGateway() throws IOException {
        List<Map<String, Object>> rules = rules();
        Map<String, String> expressions = new TreeMap<>();
        for (Map<String, Object> rule : rules) {
            String name = rule.get("alert").toString();
            expressions.put(name, rule.get("expr").toString());
            @SuppressWarnings("unchecked")
            Map<String, String> labels = (Map<String, String>) rule.get("labels");
            assertTrue(List.of("critical", "warning").contains(labels.get("severity")), name);
            @SuppressWarnings("unchecked")
            Map<String, String> annotations = (Map<String, String>) rule.get("annotations");
            assertTrue(!annotations.get("summary").isBlank() && !annotations.get("description").isBlank(), name);
        }
        assertTrue(expressions.get("MailGatewayQueueStuck").contains("email_oldest_queued_age_seconds"), expressions::toString);
        assertTrue(expressions.get("MailGatewayDeliveryFailures").contains("status=\"failed\""), expressions::toString);
        assertTrue(expressions.get("MailGatewayWebhookFailures").contains("webhook_deliveries_total{job=\"mail-gateway\", result=\"failed\"}"),
                   expressions::toString);
        assertTrue(expressions.get("MailGatewayDatabaseDown").contains("db_up"), expressions::toString);
        assertTrue(expressions.get("MailGatewayDown").contains("up{job=\"mail-gateway\"} == 0"), expressions::toString);
        assertEquals(5, expressions.size(), expressions::toString);
    }

    /** Every rule of etc/alerts.yml. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> rules() throws IOException {
        Map<String, Object> file = new Yaml().load(Files.readString(ALERTS));
        return ((List<Map<String, Object>>) file.get("groups")).stream()
                .flatMap(group -> ((List<Map<String, Object>>) group.get("rules")).stream())
                .toList();
    }
}
