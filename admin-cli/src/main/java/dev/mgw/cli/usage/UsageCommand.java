package dev.mgw.cli.usage;

import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.cli.Table;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.quota.UsageReport;
import dev.mgw.core.quota.UsageRow;

import jakarta.json.JsonArrayBuilder;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw usage}: recipients charged per key and UTC day, with a total. */
@Command(name = "usage", mixinStandardHelpOptions = true,
         description = {"Show what each key sent per UTC day against its daily limit, with a total.",
                        "A single day also lists active keys that sent nothing."})
public final class UsageCommand extends MgwCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true)
    private Period period;

    @Option(names = "--key", paramLabel = "KEY", description = "Only this key (id, name or prefix).")
    private String key;

    @Option(names = "--csv", description = "Print CSV (data rows only, so the file sums cleanly).")
    private boolean csv;

    static final class Period {
        @Option(names = "--date", paramLabel = "DAY", description = "today (default), yesterday or YYYY-MM-DD.")
        String date;

        @ArgGroup(exclusive = false)
        Range range;
    }

    static final class Range {
        @Option(names = "--from", required = true, paramLabel = "DAY", description = "First day of a range (YYYY-MM-DD, today, yesterday).")
        String from;

        @Option(names = "--to", paramLabel = "DAY", description = "Last day of the range (default: today).")
        String to;
    }

    @Override
    public Integer call() {
        LocalDate today = LocalDate.now(mgw().clock().withZone(ZoneOffset.UTC));
        LocalDate from;
        LocalDate to;
        if (period != null && period.range != null) {
            from = day(period.range.from, "--from", today);
            to = period.range.to == null ? today : day(period.range.to, "--to", today);
            if (to.isBefore(from)) {
                throw new ParameterException(spec.commandLine(), "--to " + to + " is before --from " + from);
            }
        } else {
            from = day(period == null || period.date == null ? "today" : period.date, "--date", today);
            to = from;
        }
        Optional<UUID> keyId = Optional.ofNullable(key)
                .map(ref -> new ApiKeys(mgw().database(), new KeySecrets(), mgw().clock()).resolve(ref).id());
        List<UsageRow> rows = new UsageReport(mgw().database()).rows(from, to, keyId);
        if (csv) {
            printCsv(rows);
        } else if (json()) {
            printJson(rows, from, to);
        } else {
            printTable(rows, from, to);
        }
        return 0;
    }

    private LocalDate day(String value, String option, LocalDate today) {
        return switch (value) {
            case "today" -> today;
            case "yesterday" -> today.minusDays(1);
            default -> {
                try {
                    yield LocalDate.parse(value);
                } catch (DateTimeParseException e) {
                    throw new ParameterException(spec.commandLine(),
                                                 option + " '" + value + "' is not today, yesterday or a YYYY-MM-DD date");
                }
            }
        };
    }

    private void printTable(List<UsageRow> rows, LocalDate from, LocalDate to) {
        PrintWriter out = out();
        out.println(from.equals(to) ? "Usage on " + from + " (UTC)" : "Usage from " + from + " to " + to + " (UTC)");
        Table table = Table.of("NAME", "PREFIX", "DATE", "#SENT", "#LIMIT", "#REMAINING");
        rows.forEach(r -> table.row(r.name(), r.prefix(), r.date(), r.sent(), r.limit(), r.remaining()));
        table.footer("TOTAL", "", "", total(rows, UsageRow::sent), total(rows, UsageRow::limit),
                     total(rows, UsageRow::remaining));
        table.print(out);
    }

    private void printJson(List<UsageRow> rows, LocalDate from, LocalDate to) {
        JsonArrayBuilder array = JSON.createArrayBuilder();
        rows.forEach(r -> array.add(JSON.createObjectBuilder()
                                            .add("api_key_id", r.keyId().toString())
                                            .add("name", r.name())
                                            .add("prefix", r.prefix())
                                            .add("date", r.date().toString())
                                            .add("sent", r.sent())
                                            .add("limit", r.limit())
                                            .add("remaining", r.remaining())));
        Output.json(out(), JSON.createObjectBuilder()
                .add("from", from.toString())
                .add("to", to.toString())
                .add("rows", array)
                .add("total", JSON.createObjectBuilder()
                        .add("sent", total(rows, UsageRow::sent))
                        .add("limit", total(rows, UsageRow::limit))
                        .add("remaining", total(rows, UsageRow::remaining)))
                .build());
    }

    private void printCsv(List<UsageRow> rows) {
        PrintWriter out = out();
        out.println("name,prefix,date,sent,limit,remaining");
        for (UsageRow r : rows) {
            out.println(String.join(",", csvField(r.name()), csvField(r.prefix()), r.date().toString(),
                                    String.valueOf(r.sent()), String.valueOf(r.limit()), String.valueOf(r.remaining())));
        }
        out.flush();
    }

    private static long total(List<UsageRow> rows, java.util.function.ToIntFunction<UsageRow> column) {
        return rows.stream().mapToLong(column::applyAsInt).sum();
    }

    private static String csvField(String value) {
        return value.matches("[^\",\\r\\n]*") ? value : "\"" + value.replace("\"", "\"\"") + "\"";
    }
}
