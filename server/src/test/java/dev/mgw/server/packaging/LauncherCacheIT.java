package dev.mgw.server.packaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.mgw.server.LaunchedGateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the launcher does with its ahead-of-time cache: it uses one that fits ({@code -XX:AOTCache}),
 * and makes one in a training run ({@code -XX:AOTCacheOutput}) where there is none or where the one
 * there no longer fits: older than any jar the JVM will load or than the JDK, since the JVM runs
 * without a cache whose recorded class path or JVM does not match and never writes it again (each
 * start then takes the slow way), or made with other {@code JAVA_OPTS}, which its name tells. The
 * launcher runs from a copy of the install layout ({@code mail-gateway}, {@code mail-gateway.jar},
 * {@code libs/}) with {@code JAVA_HOME} a stand-in Java 25 whose {@code java} only records how it ran.
 */
class LauncherCacheIT {
    private static final Instant BUILT = Instant.parse("2026-11-01T10:00:00Z");
    /** The cache's name without {@code JAVA_OPTS}: 4294967295 is what {@code cksum} says of nothing. */
    private static final String CACHE = "mail-gateway-4294967295.aot";

    @TempDir
    Path dir;

    @Test
    void aCacheOlderThanALibraryJarIsMadeAgain() throws Exception {
        Path cache = install(BUILT.plusSeconds(60), BUILT.plusSeconds(120));

        String options = launch(Map.of());

        assertFalse(Files.exists(cache), "a cache older than libs/core.jar is left to the JVM, which cannot use it");
        assertTrue(options.contains("-XX:AOTCacheOutput=" + cache), options);
    }

    @Test
    void aCacheOlderThanTheJarIsMadeAgain() throws Exception {
        Path cache = install(BUILT.minusSeconds(60), BUILT.minusSeconds(120));

        String options = launch(Map.of());

        assertFalse(Files.exists(cache));
        assertTrue(options.contains("-XX:AOTCacheOutput=" + cache), options);
    }

    @Test
    void aCacheOlderThanTheJdkIsMadeAgain() throws Exception {
        Path cache = install(BUILT.plusSeconds(60), BUILT.minusSeconds(60));
        touch(Files.writeString(Files.createDirectories(jdk().resolve("lib")).resolve("modules"), "modules"),
              BUILT.plusSeconds(120));

        String options = launch(Map.of());

        assertFalse(Files.exists(cache), "a cache made by the JDK before an upgrade is left to the JVM, which cannot use it");
        assertTrue(options.contains("-XX:AOTCacheOutput=" + cache), options);
    }

    @Test
    void aCacheNewerThanEveryJarAndTheJdkIsUsed() throws Exception {
        Path cache = install(BUILT.plusSeconds(60), BUILT.minusSeconds(60));
        touch(Files.writeString(Files.createDirectories(jdk().resolve("lib")).resolve("modules"), "modules"),
              BUILT.minusSeconds(120));

        String options = launch(Map.of());

        assertTrue(Files.exists(cache), "a cache that fits is used, not made again");
        assertTrue(options.contains("-XX:AOTCache=" + cache), options);
        assertFalse(options.contains("-XX:AOTCacheOutput"), options);
    }

    @Test
    void otherJavaOptsHaveACacheOfTheirOwn() throws Exception {
        Path cache = install(BUILT.plusSeconds(60), BUILT.minusSeconds(60));

        String options = launch(Map.of("JAVA_OPTS", "-Xmx96m"));

        assertTrue(Files.exists(cache), "the cache of the default options stays for them");
        assertTrue(options.matches("(?s).*-XX:AOTCacheOutput=" + dir.resolve("cache") + "/mail-gateway-\\d+\\.aot .*")
                   && !options.contains(CACHE), "a cache made with -Xmx96m, named for it: " + options);
    }

    @Test
    void theClassDataArchiveOfEarlierVersionsIsRemoved() throws Exception {
        install(BUILT.plusSeconds(60), BUILT.minusSeconds(60));
        Path archive = touch(Files.writeString(dir.resolve("cache").resolve("mail-gateway.jsa"), "archive"), BUILT);

        launch(Map.of());

        assertFalse(Files.exists(archive), "nothing reads it any more");
    }

    /**
     * The layout with {@code mail-gateway.jar} built at {@link #BUILT}, {@code libs/core.jar} at
     * {@code library}, and a cache in the cache directory made at {@code made}; returns the cache.
     */
    private Path install(Instant made, Instant library) throws IOException {
        Path app = Files.createDirectories(dir.resolve("app"));
        Path launcher = Files.copy(LaunchedGateway.LAUNCHER, app.resolve("mail-gateway"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        touch(Files.writeString(app.resolve("mail-gateway.jar"), "jar"), BUILT);
        touch(Files.writeString(Files.createDirectories(app.resolve("libs")).resolve("core.jar"), "jar"), library);
        Path cache = Files.createDirectories(dir.resolve("cache")).resolve(CACHE);
        return touch(Files.writeString(cache, "cache"), made);
    }

    private Path jdk() throws IOException {
        return Files.createDirectories(dir.resolve("jdk"));
    }

    /** Runs the launcher with the stand-in Java and these variables; the options it gave java. */
    private String launch(Map<String, String> variables) throws Exception {
        Path home = jdk();
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
        Path java = Files.writeString(Files.createDirectories(home.resolve("bin")).resolve("java"),
                                      "#!/bin/sh\necho \"$@\" > \"" + dir.resolve("java-ran") + "\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder builder = new ProcessBuilder("sh", dir.resolve("app").resolve("mail-gateway").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("output").toFile());
        Map<String, String> environment = new HashMap<>(Map.of("PATH", "/usr/bin:/bin",
                                                                "JAVA_HOME", home.toString(),
                                                                "CACHE_DIRECTORY", dir.resolve("cache").toString()));
        environment.putAll(variables);
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder.start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the launcher ended");
        assertEquals(0, process.exitValue(), () -> read(dir.resolve("output")));
        return read(dir.resolve("java-ran"));
    }

    private static Path touch(Path file, Instant at) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(at));
        return file;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
