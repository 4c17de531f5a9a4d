package dev.mgw.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A results table: printed, and written to bench/results/ with the date and git revision. */
final class Report {
    private final String title;
    private final List<String[]> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final String[] header;

    Report(String title, String... header) {
        this.title = title;
        this.header = header;
    }

    void row(String... cells) {
        rows.add(cells);
        System.out.println("  " + String.join(" | ", cells));
    }

    void note(String note) {
        notes.add(note);
        System.out.println("  " + note);
    }

    String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("## ").append(title).append("\n\n");
        out.append("| ").append(String.join(" | ", header)).append(" |\n");
        out.append("|").append(" --- |".repeat(header.length)).append("\n");
        for (String[] row : rows) {
            out.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        if (!notes.isEmpty()) {
            out.append("\n");
            notes.forEach(n -> out.append("- ").append(n).append("\n"));
        }
        return out.toString();
    }

    /** Writes the report next to earlier ones; returns the file. */
    Path write(String kind, String intro) throws IOException, InterruptedException {
        String revision = revision();
        Path dir = Path.of("bench", "results");
        Files.createDirectories(dir);
        Path file = unused(dir, LocalDate.now(ZoneOffset.UTC) + "-" + revision + "-" + kind);
        Files.writeString(file, "# make " + kind + ", " + LocalDate.now(ZoneOffset.UTC) + ", revision " + revision
                                + "\n\n" + intro + "\n\n" + markdown(), StandardCharsets.UTF_8);
        return file;
    }

    /**
     * {@code name.md} in {@code dir}, or {@code name-2.md}, {@code name-3.md}… when it is taken: a
     * second run of the same revision on the same day (the issue asks for two) keeps the first's file.
     */
    static Path unused(Path dir, String name) {
        Path file = dir.resolve(name + ".md");
        for (int run = 2; Files.exists(file); run++) {
            file = dir.resolve(name + "-" + run + ".md");
        }
        return file;
    }

    static String revision() throws IOException, InterruptedException {
        Process git = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
        String rev = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        git.waitFor();
        Process dirty = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no").start();
        boolean changed = !new String(dirty.getInputStream().readAllBytes(), StandardCharsets.UTF_8).isBlank();
        dirty.waitFor();
        return git.exitValue() == 0 ? rev + (changed ? "-dirty" : "") : "unknown";
    }

    static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f/s", perSecond);
    }

    static String millis(double ms) {
        return String.format(Locale.ROOT, ms < 10 ? "%.2f ms" : "%.1f ms", ms);
    }

    static String ratio(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /**
     * A ratio held to "at least {@code bound}": two decimals, or as many more as it takes for the
     * printed figure to stand on the same side of the bound as the ratio (0.4949 against 0.5 is
     * 0.495, where two decimals would print a "0.50" marked not met).
     */
    static String ratio(double value, double bound) {
        String printed = ratio(value);
        for (int decimals = 3; decimals <= 6 && (Double.parseDouble(printed) >= bound) != (value >= bound); decimals++) {
            printed = String.format(Locale.ROOT, "%." + decimals + "f", value);
        }
        return printed;
    }

    static String yes(boolean met) {
        return met ? "yes" : "**no**";
    }
}
