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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.mgw.server.LaunchedGateway;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the launcher does with its ahead-of-time cache: the first run trains one
 * ({@code -XX:AOTCacheOutput}), later runs use it ({@code -XX:AOTCache}). The cache is named for
 * what it was made from ({@code JAVA_OPTS}, the jars, the JDK), since the JVM runs without a cache
 * made from other files or options and never writes it again (each start would then take the slow
 * way); an upgrade need not give its files newer dates. The launcher runs from a copy of the
 * install layout ({@code mail-gateway}, {@code mail-gateway.jar}, {@code libs/}) with
 * {@code JAVA_HOME} a stand-in Java 25 whose {@code java} only records how it ran.
 */
class LauncherCacheIT {
    private static final Instant BUILT = Instant.parse("2026-11-01T10:00:00Z");

    @TempDir
    Path dir;

    @BeforeEach
    void install() throws IOException {
        Path app = Files.createDirectories(dir.resolve("app"));
        Path launcher = Files.copy(LaunchedGateway.LAUNCHER, app.resolve("mail-gateway"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        touch(Files.writeString(app.resolve("mail-gateway.jar"), "jar"), BUILT);
        touch(Files.writeString(Files.createDirectories(app.resolve("libs")).resolve("core.jar"), "core"), BUILT);
        Path home = Files.createDirectories(dir.resolve("jdk"));
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
        touch(Files.writeString(Files.createDirectories(home.resolve("lib")).resolve("modules"), "25.0.1"), BUILT);
        Path java = Files.writeString(Files.createDirectories(home.resolve("bin")).resolve("java"),
                                      "#!/bin/sh\necho \"$@\" > \"" + dir.resolve("java-ran") + "\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void theFirstRunTrainsACacheAndTheNextUsesIt() throws Exception {
        Path cache = trained(Map.of());
        assertEquals(dir.resolve("cache"), cache.getParent());

        String options = launch(Map.of());

        assertTrue(options.contains("-XX:AOTCache=" + cache + " "), options);
        assertFalse(options.contains("-XX:AOTCacheOutput"), options);
    }

    @Test
    void aRebuiltLibraryGetsACacheOfItsOwnAndTheOldOneGoes() throws Exception {
        Path old = trained(Map.of());
        Files.writeString(dir.resolve("app").resolve("libs").resolve("core.jar"), "core, rebuilt");

        Path cache = training(launch(Map.of()));

        assertNotEquals(old, cache, "a cache made with the old libs/core.jar is left to the JVM, which cannot use it");
        assertFalse(Files.exists(old), "the old cache is removed");
    }

    @Test
    void anUpgradedJdkGetsACacheOfItsOwnThoughItsFilesCarryOlderDates() throws Exception {
        Path old = trained(Map.of());
        touch(Files.writeString(dir.resolve("jdk").resolve("lib").resolve("modules"), "25.0.2+7"), BUILT.minusSeconds(86_400));

        Path cache = training(launch(Map.of()));

        assertNotEquals(old, cache, "a cache made by the JDK before the upgrade is left to the JVM, which cannot use it");
    }

    @Test
    void otherJavaOptsGetACacheOfTheirOwn() throws Exception {
        Path old = trained(Map.of());

        Path cache = training(launch(Map.of("JAVA_OPTS", "-Xmx96m")));

        assertNotEquals(old, cache, "the JVM refuses a cache made with other options");
    }

    @Test
    void aCacheWhoseWriteDidNotFinishIsMadeAgain() throws Exception {
        Path cache = trained(Map.of());
        // a training run stopped while it wrote: the JVM removes the configuration once the cache is written
        Files.writeString(Path.of(cache + ".config"), "configuration");

        assertEquals(cache, training(launch(Map.of())));
        assertFalse(Files.exists(cache) || Files.exists(Path.of(cache + ".config")));
    }

    @Test
    void optionsTheJvmTakesOnlyWithoutACacheRunWithoutOne() throws Exception {
        for (String javaOpts : new String[] {"-Xshare:off", "-XX:SharedArchiveFile=/tmp/app.jsa -Xmx96m",
                                             "--patch-module java.base=/tmp/patch"}) {
            String options = launch(Map.of("JAVA_OPTS", javaOpts));

            assertFalse(options.contains("-XX:AOT"), "the JVM would refuse to start: " + options);
            assertTrue(options.startsWith("-Xmx128m ") && options.contains(" " + javaOpts + " -jar "), options);
        }
    }

    @Test
    void theClassDataArchiveOfEarlierVersionsIsRemoved() throws Exception {
        Path archive = Files.writeString(Files.createDirectories(dir.resolve("cache")).resolve("mail-gateway.jsa"), "archive");

        launch(Map.of());

        assertFalse(Files.exists(archive), "nothing reads it any more");
    }

    /** The cache a training run with these variables names, written as the JVM would on exit. */
    private Path trained(Map<String, String> variables) throws Exception {
        Path cache = training(launch(variables));
        Files.writeString(cache, "cache");
        return cache;
    }

    /** The cache a launch trains, from the options it gave java. */
    private Path training(String options) {
        Matcher matcher = Pattern.compile("-XX:AOTCacheOutput=(" + Pattern.quote(dir.resolve("cache").toString())
                                          + "/mail-gateway-\\d+\\.aot) ").matcher(options);
        assertTrue(matcher.find(), "a training run, its cache in CACHE_DIRECTORY: " + options);
        assertFalse(options.contains("-XX:AOTCache="), options);
        return Path.of(matcher.group(1));
    }

    /** Runs the launcher with the stand-in Java and these variables; the options it gave java. */
    private String launch(Map<String, String> variables) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sh", dir.resolve("app").resolve("mail-gateway").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("output").toFile());
        Map<String, String> environment = new HashMap<>(Map.of("PATH", "/usr/bin:/bin",
                                                                "JAVA_HOME", dir.resolve("jdk").toString(),
                                                                "CACHE_DIRECTORY", dir.resolve("cache").toString()));
        environment.putAll(variables);
        builder.environment().clear();
        builder.environment().putAll(environment);
        Files.deleteIfExists(dir.resolve("java-ran"));
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
