package dev.mgw.server.observe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Reads Prometheus text exposition (format 0.0.4) strictly: every sample belongs to a family
 * declared by {@code # TYPE}, names and labels are well formed, counters end in {@code _total},
 * histogram buckets climb to {@code +Inf} = {@code _count}. And runs {@code promtool check metrics}
 * when it is installed ({@code PROMTOOL} or the one {@code make test} fetches).
 */
public final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;
    private final Map<String, String> types;

    private PrometheusText(List<Sample> samples, Map<String, String> types) {
        this.samples = samples;
        this.types = types;
    }

    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("# HELP ")) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                assertEquals(4, parts.length, line);
                types.put(parts[2], parts[3]);
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                fail("not a sample line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                int end = 0;
                while (l.find() && l.start() == end) {
                    labels.put(l.group(1), l.group(2));
                    end = l.end();
                }
                assertEquals(m.group(3).length(), end, "labels of " + line);
            }
            String family = family(m.group(1), types);
            assertTrue(family != null, "no # TYPE for " + line);
            samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4).replace("+Inf", "Infinity"))));
        }
        PrometheusText parsed = new PrometheusText(samples, types);
        parsed.checkConventions();
        return parsed;
    }

    String type(String family) {
        return types.get(family);
    }

    /** The value of the one sample with this name whose labels include these; 0 when there is none. */
    public double value(String name, Map<String, String> labels) {
        List<Sample> matching = samples.stream()
                .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
                .toList();
        assertTrue(matching.size() <= 1, "several samples of " + name + labels + ": " + matching);
        return matching.isEmpty() ? 0 : matching.getFirst().value();
    }

    List<Sample> samples() {
        return samples;
    }

    private void checkConventions() {
        types.forEach((family, type) -> {
            if (type.equals("counter")) {
                assertTrue(family.endsWith("_total"), "counter " + family + " ends in _total");
            }
        });
        Map<String, List<Sample>> buckets = new HashMap<>();
        for (Sample s : samples) {
            if (s.name().endsWith("_bucket")) {
                Map<String, String> series = new LinkedHashMap<>(s.labels());
                series.remove("le");
                buckets.computeIfAbsent(s.name() + series, k -> new ArrayList<>()).add(s);
            }
        }
        buckets.forEach((series, list) -> {
            double previous = 0;
            for (Sample bucket : list) {
                assertTrue(bucket.value() >= previous, "buckets climb: " + series);
                previous = bucket.value();
            }
            assertEquals("+Inf", list.getLast().labels().get("le"), series);
            Map<String, String> labels = new LinkedHashMap<>(list.getLast().labels());
            labels.remove("le");
            String base = list.getLast().name().replaceFirst("_bucket$", "");
            assertEquals(list.getLast().value(), value(base + "_count", labels), "+Inf = _count for " + series);
        });
    }

    private static String family(String name, Map<String, String> types) {
        if (types.containsKey(name)) {
            return name;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum", "_total", "_created")) {
            if (name.endsWith(suffix) && types.containsKey(name.substring(0, name.length() - suffix.length()))) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return null;
    }

    /** promtool's verdict, when promtool is here. */
    static Optional<String> promtool(String text) throws IOException, InterruptedException {
        Optional<Path> promtool = findPromtool();
        if (promtool.isEmpty()) {
            return Optional.empty();
        }
        Process process = new ProcessBuilder(promtool.get().toString(), "check", "metrics").redirectErrorStream(true).start();
        process.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return Optional.of("exit " + process.exitValue() + (output.isBlank() ? "" : ": " + output.strip()));
    }

    private static Optional<Path> findPromtool() {
        String configured = System.getenv("PROMTOOL");
        if (configured != null && Files.isExecutable(Path.of(configured))) {
            return Optional.of(Path.of(configured));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir, "promtool");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
