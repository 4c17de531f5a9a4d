package dev.mgw.core.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.mgw.core.config.JdbcTarget;

import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.changelog.ChangeLogParameters;
import liquibase.changelog.ChangeSetStatus;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.parser.ChangeLogParserFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.resource.ResourceAccessor;
import liquibase.ui.LoggerUIService;

/**
 * Applies and reports the Liquibase changelog of the {@code db-changelog} module, read from
 * the classpath (so it works from the packaged jars). Liquibase's console output goes to the
 * log instead of stdout, and its usage analytics are off.
 */
public final class Migrations {
    /** Classpath location of the master changelog. */
    public static final String CHANGELOG = "db/changelog/db.changelog-master.yaml";

    private static final String UNDEFINED_TABLE = "42P01";
    private static final String APPLIED = "SELECT count(DISTINCT id) FROM databasechangelog WHERE id = ANY(?)";
    private static final Pattern INCLUDE = Pattern.compile("(?m)^\\s*file:\\s*(\\S+)\\s*$");
    private static final Pattern CHANGESET = Pattern.compile("(?m)^--changeset\\s+[^:\\s]+:(\\S+)");

    private final JdbcTarget target;

    public Migrations(JdbcTarget target) {
        this.target = target;
    }

    /** One changeset of the changelog and whether (and when) it was applied here. */
    public record ChangeSetState(String id, String author, String file, Optional<Instant> appliedAt) {
        public boolean pending() {
            return appliedAt.isEmpty();
        }
    }

    /**
     * Applies the pending changesets unless there are none, which one query finds out without
     * starting Liquibase (about a second of a start). Returns whether Liquibase ran.
     */
    public boolean migrateIfNeeded() {
        List<String> ids = changeSetIds();
        try (Connection connection = Database.connect(target);
             PreparedStatement statement = connection.prepareStatement(APPLIED)) {
            statement.setArray(1, connection.createArrayOf("text", ids.toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                if (rows.next() && rows.getLong(1) == ids.size()) {
                    return false;
                }
            }
        } catch (SQLException e) {
            if (Database.isUnavailable(e)) {
                throw DatabaseUnavailableException.of(target, e);
            }
            // no changelog table yet, say: Liquibase sets it up
        }
        migrate();
        return true;
    }

    /** Applies every pending changeset; safe to run any number of times and from several processes at once. */
    public void migrate() {
        withDatabase(database -> {
            new CommandScope(UpdateCommandStep.COMMAND_NAME)
                    .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                    .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, CHANGELOG)
                    .setOutput(OutputStream.nullOutputStream())
                    .execute();
            return null;
        });
    }

    /** Every changeset of the changelog, in order, with its state in this database. */
    public List<ChangeSetState> status() {
        return withDatabase(database -> {
            @SuppressWarnings("deprecation")
            Liquibase liquibase = new Liquibase(CHANGELOG, resources(), database);
            List<ChangeSetStatus> statuses = liquibase.getChangeSetStatuses(new Contexts(), new LabelExpression());
            return statuses.stream()
                    .map(s -> new ChangeSetState(s.getChangeSet().getId(),
                                                 s.getChangeSet().getAuthor(),
                                                 s.getChangeSet().getFilePath(),
                                                 s.getPreviouslyRan() && s.getDateLastExecuted() != null
                                                         ? Optional.of(s.getDateLastExecuted().toInstant())
                                                         : Optional.empty()))
                    .toList();
        });
    }

    /**
     * The ids of all changesets in the changelog, in order, read straight from the files (the
     * master's {@code file:} includes, each a formatted-SQL file of {@code --changeset author:id}
     * lines) without starting Liquibase; a test holds this to Liquibase's own reading.
     */
    public static List<String> changeSetIds() {
        String master = resource(CHANGELOG);
        String folder = CHANGELOG.substring(0, CHANGELOG.lastIndexOf('/') + 1);
        List<String> ids = new ArrayList<>();
        Matcher include = INCLUDE.matcher(master);
        while (include.find()) {
            Matcher changeSet = CHANGESET.matcher(resource(folder + include.group(1)));
            while (changeSet.find()) {
                ids.add(changeSet.group(1));
            }
        }
        return List.copyOf(ids);
    }

    private static String resource(String name) {
        try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the changelog file " + name + " is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    /** The changeset ids as Liquibase itself parses the changelog. */
    static List<String> changeSetIdsByLiquibase() {
        try {
            return Scope.child(scope(), () -> {
                ResourceAccessor resources = resources();
                DatabaseChangeLog changeLog = ChangeLogParserFactory.getInstance()
                        .getParser(CHANGELOG, resources)
                        .parse(CHANGELOG, new ChangeLogParameters(), resources);
                return changeLog.getChangeSets().stream().map(cs -> cs.getId()).toList();
            });
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the changelog " + CHANGELOG + ": " + Database.rootMessage(e), e);
        }
    }

    /**
     * Whether every changeset of the changelog is recorded as applied: the readiness check, one
     * cheap query (no Liquibase involved).
     */
    public static boolean isCurrent(Database database, List<String> changeSetIds) {
        try {
            return database.run(() -> database.client().execute()
                    .createGet(APPLIED)
                    .addParam(changeSetIds.toArray(String[]::new))
                    .execute()
                    .map(row -> row.column(1).getLong() == changeSetIds.size())
                    .orElse(false));
        } catch (DatabaseUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            if (Database.sqlState(e).filter(UNDEFINED_TABLE::equals).isPresent()) {
                return false;
            }
            throw e;
        }
    }

    private interface DatabaseWork<T> {
        T run(liquibase.database.Database database) throws Exception;
    }

    private <T> T withDatabase(DatabaseWork<T> work) {
        try (Connection connection = Database.connect(target)) {
            return Scope.child(scope(), () -> {
                liquibase.database.Database database = DatabaseFactory.getInstance()
                        .findCorrectDatabaseImplementation(new JdbcConnection(connection));
                return work.run(database);
            });
        } catch (Exception e) {
            if (Database.isUnavailable(e)) {
                throw DatabaseUnavailableException.of(target, e);
            }
            throw new MigrationException("migration failed: " + Database.rootMessage(e), e);
        }
    }

    private static ResourceAccessor resources() {
        return new ClassLoaderResourceAccessor(Migrations.class.getClassLoader());
    }

    private static Map<String, Object> scope() {
        return Map.of(Scope.Attr.resourceAccessor.name(), resources(),
                      Scope.Attr.ui.name(), new LoggerUIService(),
                      "liquibase.analytics.enabled", false,
                      "liquibase.showBanner", false);
    }

    /** The changelog could not be applied (not a connectivity problem). */
    public static class MigrationException extends RuntimeException {
        public MigrationException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
