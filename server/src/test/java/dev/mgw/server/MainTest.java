package dev.mgw.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.mgw.core.Version;
import dev.mgw.core.config.ConfigLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The start-up line's other cases (LauncherIT reads a real one with a relay and AUTH). */
class MainTest {
    @Test
    void theStartupLineNamesTheFileReadAndTheSandbox(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("mgw.yaml"), "server:\n  port: 9000\n");
        String line = Main.startupLine(ConfigLoader.fromValues(Map.of(
                "MGW_CONFIG", file.toString(),
                "DATABASE_URL", "postgresql://app:s3cret@db.internal:6432/mail?sslmode=require")));
        assertEquals("mail-gateway " + Version.get() + " starting: configuration file " + file
                     + "; database postgresql://app:****@db.internal:6432/mail?sslmode=require"
                     + "; relay none: sandbox, nothing leaves this machine (SMTP_HOST is not set)"
                     + "; listeners HTTP 0.0.0.0:9000", line);
    }

    @Test
    void theStartupLineNamesImplicitTlsOnItsPort() {
        String line = Main.startupLine(ConfigLoader.fromValues(Map.of("SMTP_HOST", "smtp.example.com", "SMTP_SSL", "true",
                                                                      "SMTP_FROM_ADDRESS", "noreply@example.com")));
        assertEquals("mail-gateway " + Version.get() + " starting: configuration file none"
                     + "; database postgresql://postgres@127.0.0.1:5432/mailgateway"
                     + "; relay smtp.example.com:465 (implicit TLS, without AUTH); listeners HTTP 0.0.0.0:8000", line);
    }
}
