package dev.mgw.server.submission;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's swaks example of SMTP submission (SPEC §13), run as written (the port aside)
 * with the swaks that {@code .ci/run} installs, against a gateway with the default settings and
 * the development key of {@code make seed}.
 */
class ReadmeSwaksIT extends GatewayServerTest {
    /** The swaks command of the block after {@code <!-- smtp submission example -->}, with its continuation lines. */
    private static final Pattern SWAKS = Pattern.compile("<!-- smtp submission example -->\\s*```sh\\n.*?^(swaks .*?[^\\\\])$",
                                                         Pattern.DOTALL | Pattern.MULTILINE);
    private static final Pattern QUEUED = Pattern.compile("<~  250 2\\.0\\.0 Ok: queued as ([0-9a-f-]{36})");
    private static int port;

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        port = SubmissionClient.freePort();
        start(builder, ReadmeSwaksIT.class, Map.of("SMTP_SUBMISSION_PORT", String.valueOf(port)));
    }

    @Test
    void theSwaksExampleSubmitsAMessageThatIsStoredWithItsSubject() throws Exception {
        seedDevelopmentKey();
        assertEquals(0, new ProcessBuilder("bash", "-c", "command -v swaks").start().waitFor(),
                     "swaks is not installed: apt-get install swaks (.ci/run installs it)");
        Matcher example = SWAKS.matcher(Files.readString(Path.of("..", "README.md")));
        assertTrue(example.find(), "the README has a swaks example");
        String command = example.group(1);
        assertTrue(command.contains("localhost:2587"), command);

        String output = bash(command.replace("localhost:2587", "localhost:" + port));

        Matcher queued = QUEUED.matcher(output);
        assertTrue(queued.find(), output);
        assertEquals("Hello over SMTP", gw.db().queryString(
                "SELECT subject FROM messages WHERE id = '" + queued.group(1) + "'"));
        assertEquals(1, gw.stored("default"));
    }
}
