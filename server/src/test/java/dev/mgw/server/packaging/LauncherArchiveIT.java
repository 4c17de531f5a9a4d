package dev.mgw.server.packaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.mgw.server.LaunchedGateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the launcher does with a class data archive that no longer fits: it removes one older than
 * any jar the JVM will load, since the JVM runs without an archive whose recorded class path does
 * not match and never writes it again (each start then takes the slow way). The launcher runs from
 * a copy of the install layout ({@code mail-gateway}, {@code mail-gateway.jar}, {@code libs/}) with
 * {@code JAVA_HOME} a stand-in Java 25 whose {@code java} only records that it ran.
 */
class LauncherArchiveIT {
    private static final Instant BUILT = Instant.parse("2026-11-01T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void anArchiveOlderThanALibraryJarIsRemovedBeforeTheJvmStarts() throws Exception {
        Path archive = install(BUILT.plusSeconds(60), BUILT.plusSeconds(120));

        assertEquals(0, launch());

        assertFalse(Files.exists(archive), "an archive older than libs/core.jar is left to the JVM, which cannot use it");
    }

    @Test
    void anArchiveOlderThanTheJarIsRemovedBeforeTheJvmStarts() throws Exception {
        Path archive = install(BUILT.minusSeconds(60), BUILT.minusSeconds(120));

        assertEquals(0, launch());

        assertFalse(Files.exists(archive));
    }

    @Test
    void anArchiveNewerThanEveryJarIsKept() throws Exception {
        Path archive = install(BUILT.plusSeconds(60), BUILT.minusSeconds(60));

        assertEquals(0, launch());

        assertTrue(Files.exists(archive), "an archive that fits is used, not written again");
    }

    /**
     * The layout with {@code mail-gateway.jar} built at {@link #BUILT}, {@code libs/core.jar} at
     * {@code library}, and an archive in the cache directory written at {@code archived}; returns the archive.
     */
    private Path install(Instant archived, Instant library) throws IOException {
        Path app = Files.createDirectories(dir.resolve("app"));
        Path launcher = Files.copy(LaunchedGateway.LAUNCHER, app.resolve("mail-gateway"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        touch(Files.writeString(app.resolve("mail-gateway.jar"), "jar"), BUILT);
        touch(Files.writeString(Files.createDirectories(app.resolve("libs")).resolve("core.jar"), "jar"), library);
        Path archive = Files.createDirectories(dir.resolve("cache")).resolve("mail-gateway.jsa");
        return touch(Files.writeString(archive, "archive"), archived);
    }

    /** Runs the launcher with the stand-in Java; its exit status (the stand-in's: 0). */
    private int launch() throws Exception {
        Path home = Files.createDirectories(dir.resolve("jdk").resolve("bin")).getParent();
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
        Path java = Files.writeString(home.resolve("bin").resolve("java"),
                                      "#!/bin/sh\necho \"$@\" > \"" + dir.resolve("java-ran") + "\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder builder = new ProcessBuilder("sh", dir.resolve("app").resolve("mail-gateway").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("output").toFile());
        builder.environment().clear();
        builder.environment().putAll(Map.of("PATH", "/usr/bin:/bin",
                                            "JAVA_HOME", home.toString(),
                                            "CACHE_DIRECTORY", dir.resolve("cache").toString()));
        Process process = builder.start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the launcher ended");
        assertTrue(Files.readString(dir.resolve("java-ran")).contains("-XX:SharedArchiveFile=" + dir.resolve("cache")),
                   () -> "the stand-in java ran with the archive option: " + read(dir.resolve("output")));
        return process.exitValue();
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
