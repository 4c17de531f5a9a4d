package dev.mgw.cli.suppressions;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.core.MgwException;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.suppressions.Scope;
import dev.mgw.core.suppressions.Suppressions;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code mgw suppressions import FILE.csv [--key KEY | --global]}: a CSV with a header row; only
 * {@code address} is required. A {@code key} column (id, name or prefix; empty = global) says
 * whose list each row goes to, else {@code --key}/{@code --global} does; {@code reason}
 * (default manual), {@code detail} and {@code expires_at} (RFC 3339) are optional. What
 * {@code export} writes imports as it is. Nothing is imported unless every row is valid.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
         description = "Add the addresses of a CSV file (header row; columns address, and optionally key, reason, "
                       + "detail, expires_at).")
public final class ImportSuppressions extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The CSV file.")
    private Path file;

    @ArgGroup(exclusive = false)
    private SuppressionsCommand.Target target = new SuppressionsCommand.Target();

    /** The rows of one list with the same reason, detail and expiry: one statement each. */
    private record Batch(Scope scope, String reason, Optional<String> detail, Optional<Instant> expiresAt) {
    }

    @Override
    public Integer call() {
        Map<Batch, List<String>> batches = new LinkedHashMap<>();
        int rows = 0;
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             CSVParser parser = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true)
                     .setIgnoreSurroundingSpaces(true).get().parse(reader)) {
            if (!parser.getHeaderMap().containsKey("address")) {
                throw new MgwException(file + ": the header row has no 'address' column");
            }
            boolean keyColumn = parser.getHeaderMap().containsKey("key");
            Optional<Scope> fallback = keyColumn && target.key == null && !target.global ? Optional.empty()
                    : Optional.of(target.scope(mgw(), spec.commandLine(), Optional.empty()));
            ApiKeys keys = SuppressionsCommand.keys(mgw());
            Map<String, Scope> scopes = new LinkedHashMap<>();
            for (CSVRecord row : parser) {
                rows++;
                String where = file + " line " + parser.getCurrentLineNumber() + ": ";
                String address = SuppressionsCommand.addresses(List.of(value(row, "address").orElseThrow(
                        () -> new MgwException(where + "no address")))).getFirst();
                Scope scope = value(row, "key").map(key -> scopes.computeIfAbsent(key, k -> Scope.key(
                        k.matches("[0-9a-fA-F-]{36}") ? UUID.fromString(k) : keys.resolve(k).id())))
                        .or(() -> keyColumn && fallback.isEmpty() ? Optional.of(Scope.globalList()) : fallback)
                        .orElseThrow();
                String reason = value(row, "reason").orElse("manual");
                if (!Suppressions.REASONS.contains(reason)) {
                    throw new MgwException(where + "reason must be one of " + String.join(", ", Suppressions.REASONS));
                }
                Optional<Instant> expiresAt;
                try {
                    expiresAt = value(row, "expires_at").map(text -> OffsetDateTime.parse(text).toInstant());
                } catch (DateTimeParseException e) {
                    throw new MgwException(where + "expires_at must be an RFC 3339 time, e.g. 2026-12-31T00:00:00Z");
                }
                batches.computeIfAbsent(new Batch(scope, reason, value(row, "detail"), expiresAt),
                                        b -> new ArrayList<>()).add(address);
            }
        } catch (NoSuchFileException e) {
            throw new MgwException("no such file: " + file);
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            throw new MgwException(file + ": " + e.getMessage());
        }
        Suppressions suppressions = SuppressionsCommand.suppressions(mgw());
        int imported = 0;
        for (Map.Entry<Batch, List<String>> batch : batches.entrySet()) {
            Batch b = batch.getKey();
            imported += suppressions.add(b.scope(), batch.getValue(), b.reason(), b.detail(), b.expiresAt(),
                                         Optional.empty()).size();
        }
        out().println("imported " + imported + " of " + rows + " rows");
        out().flush();
        return 0;
    }

    private static Optional<String> value(CSVRecord row, String column) {
        return row.isMapped(column) && row.isSet(column) ? Optional.of(row.get(column).strip()).filter(v -> !v.isEmpty())
                : Optional.empty();
    }
}
