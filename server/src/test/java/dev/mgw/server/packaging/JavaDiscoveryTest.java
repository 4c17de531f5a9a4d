package dev.mgw.server.packaging;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * scripts/find-java.sh, the Java discovery both launchers start with (SPEC §2): JAVA_HOME if it
 * is Java 25 or newer, else the java on PATH if it is, else the newest under the JVM directory;
 * otherwise one line saying what to install. Run by {@code sh} against fake Java homes.
 */
class JavaDiscoveryTest {
    private static final Path FIND_JAVA = Path.of("..", "scripts", "find-java.sh").toAbsolutePath();
    @TempDir
    Path jvms;

    @Test
    void javaHomeWinsWhenItIsJava25OrNewer() throws Exception {
        Path home = fakeJava("home-25", "25.0.1", true);
        fakeJava("newest-26", "26", true);
        assertEquals(found(home), find("java", Map.of("JAVA_HOME", home.toString(), "PATH", bin(fakeJava("path-25", "25", true)))));
    }

    @Test
    void javaOnPathComesNextWhenJavaHomeIsOlder() throws Exception {
        Path onPath = fakeJava("path-25", "25.0.3", true);
        fakeJava("newest-26", "26", true);
        assertEquals(found(onPath), find("java", Map.of("JAVA_HOME", fakeJava("home-17", "17.0.15", true).toString(),
                                                        "PATH", bin(onPath))));
    }

    @Test
    void theNewestUnderTheJvmDirectoryWhenNeitherIsJava25() throws Exception {
        Path older = fakeJava("java-17", "17.0.15", true);
        fakeJava("temurin-25", "25.0.3", true);
        Path newest = fakeJava("temurin-26", "26.0.1", true);
        fakeJava("zulu-21", "21.0.2", true);
        assertEquals(found(newest), find("java", Map.of("PATH", bin(older))));
    }

    @Test
    void buildingNeedsAJdkSoAJreIsPassedOverForJavac() throws Exception {
        Path jre = fakeJava("jre-26", "26", false);
        Path jdk = fakeJava("jdk-25", "25", true);
        assertEquals(found(jdk), find("javac", Map.of("JAVA_HOME", jre.toString())));
    }

    @Test
    void withoutJava25ItSaysInOneLineWhatToInstallAndFails() throws Exception {
        Path older = fakeJava("java-17", "17.0.15", true);
        Result result = run("find_java java \"$JVMS\" || { no_java mail-gateway \"$JVMS\"; exit 1; }",
                            Map.of("PATH", bin(older)));
        assertEquals(1, result.exit(), result::toString);
        assertEquals("", result.out());
        assertEquals(1, result.err().lines().count(), result::toString);
        assertTrue(result.err().startsWith("mail-gateway: needs Java 25 or newer and found none (JAVA_HOME: none; java on PATH: Java 17 in "
                                           + older + "; " + jvms + ": none newer): install a JDK or JRE 25"), result::toString);
    }

    private String found(Path home) {
        return "exit 0: " + home + "\n";
    }

    private String find(String tool, Map<String, String> env) throws Exception {
        Result result = run("find_java " + tool + " \"$JVMS\"", env);
        return "exit " + result.exit() + ": " + result.out() + result.err();
    }

    private record Result(int exit, String out, String err) {
    }

    /** Runs {@code script} in sh after sourcing find-java.sh, with only {@code env} (and JVMS, the fake JVM directory). */
    private Result run(String script, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", ". \"$FIND_JAVA\"; " + script);
        builder.environment().clear();
        builder.environment().putAll(env);
        builder.environment().merge("PATH", "/usr/bin:/bin", (mine, system) -> mine + ":" + system);
        builder.environment().put("FIND_JAVA", FIND_JAVA.toString());
        builder.environment().put("JVMS", jvms.toString());
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        return new Result(process.exitValue(), out, err);
    }

    /** A Java home under the fake JVM directory: a release file, bin/java and, for a JDK, bin/javac. */
    private Path fakeJava(String name, String version, boolean jdk) throws IOException {
        Path home = jvms.toRealPath().resolve(name);
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
        for (String tool : jdk ? new String[] {"java", "javac"} : new String[] {"java"}) {
            Path file = home.resolve("bin").resolve(tool);
            Files.writeString(file, "#!/bin/sh\necho " + name + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return home;
    }

    private static String bin(Path home) {
        return home.resolve("bin").toString();
    }
}
