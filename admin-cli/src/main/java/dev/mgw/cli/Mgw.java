package dev.mgw.cli;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.mgw.cli.db.DbCommand;
import dev.mgw.cli.keys.KeysCommand;
import dev.mgw.cli.messages.MessagesCommand;
import dev.mgw.cli.suppressions.SuppressionsCommand;
import dev.mgw.cli.usage.UsageCommand;
import dev.mgw.cli.webhooks.WebhooksCommand;
import dev.mgw.core.MgwException;
import dev.mgw.core.Version;
import dev.mgw.core.config.ConfigException;
import dev.mgw.core.config.ConfigLoader;
import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.config.Setting;
import dev.mgw.core.db.Database;
import dev.mgw.core.db.DatabaseUnavailableException;
import dev.mgw.core.db.Migrations;
import dev.mgw.core.events.Timeline;
import dev.mgw.core.webhooks.WebhookOutbox;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code mgw}, the operator's tool. It reads the same configuration as the server (SPEC §3) and
 * talks to the same database. Exit codes: 0 success, 1 runtime error (one line on stderr), 2 usage error.
 */
@Command(name = "mgw",
         mixinStandardHelpOptions = true,
         versionProvider = Mgw.VersionProvider.class,
         description = "Manage the keys, usage, messages, webhooks and schema of a mail-gateway.",
         subcommands = {KeysCommand.class,
                        UsageCommand.class,
                        MessagesCommand.class,
                        SuppressionsCommand.class,
                        WebhooksCommand.class,
                        DbCommand.class,
                        AutoComplete.GenerateCompletion.class},
         footer = {"", "Configuration: the server's environment variables (DATABASE_URL, ...), MGW_CONFIG or etc/mgw.yaml (example: etc/mgw.example.yaml)."})
public final class Mgw implements AutoCloseable {
    // JUL holds loggers weakly: a level set on an unreferenced logger is lost when it is collected.
    private static final Logger POOL_LOG = Logger.getLogger("com.zaxxer.hikari");

    @Option(names = "--database-url", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "Database to use (overrides DATABASE_URL): postgresql://user:pass@host:port/db or jdbc:postgresql://...")
    private String databaseUrl;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print JSON instead of tables.")
    private boolean json;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Log progress and show stack traces of errors.")
    private boolean verbose;

    private final Map<String, String> environment;
    private final Clock clock;
    private ConfigLoader.ToolConfig config;
    private Database database;

    public Mgw() {
        this(System.getenv(), Clock.systemUTC());
    }

    /** A tool that sees this environment and clock instead of the process's (tests). */
    public Mgw(Map<String, String> environment, Clock clock) {
        this.environment = Map.copyOf(environment);
        this.clock = clock;
    }

    public static void main(String[] args) {
        int exitCode;
        try (Mgw mgw = new Mgw()) {
            CommandLine commandLine = mgw.commandLine();
            commandLine.setExecutionStrategy(parseResult -> {
                mgw.quietLogging();
                return new CommandLine.RunLast().execute(parseResult);
            });
            exitCode = commandLine.execute(args);
        }
        System.exit(exitCode);
    }

    /** A command line for this tool with the error handling every entry point shares. */
    public CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(this);
        commandLine.setExecutionExceptionHandler(this::handleFailure);
        return commandLine;
    }

    public boolean json() {
        return json;
    }

    public Clock clock() {
        return clock;
    }

    /**
     * The settings the tool uses (no relay settings: it never sends mail), loaded on first use so
     * that {@code --help} works with a broken configuration.
     */
    public ConfigLoader.ToolConfig config() {
        if (config == null) {
            Map<String, String> env = new HashMap<>(environment);
            if (databaseUrl != null) {
                env.put(Setting.DATABASE_URL.env(), databaseUrl);
            }
            config = ConfigLoader.loadTool(env, System.getProperties());
        }
        return config;
    }

    /** The database, opened on first use with a small pool; closed when the tool exits. */
    public Database database() {
        if (database == null) {
            GatewayConfig.Database settings = config().database();
            database = Database.open(settings.target(), 2, settings.echo(), Database.Limits.TOOL);
        }
        return database;
    }

    /**
     * Messages' timelines: reading them, and recording events with their webhook deliveries (the
     * tool has no workers to wake: a gateway finds what it queues at its next poll).
     */
    public Timeline timeline() {
        return new Timeline(database(), new WebhookOutbox(database(), clock, () -> {
        }), clock);
    }

    public Migrations migrations() {
        return new Migrations(config().database().target());
    }

    private int handleFailure(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        boolean expected = e instanceof MgwException
                           || e instanceof ConfigException
                           || e instanceof DatabaseUnavailableException
                           || e instanceof Migrations.MigrationException;
        err.println("mgw: " + (expected ? e.getMessage() : Database.rootMessage(e)));
        if (verbose) {
            e.printStackTrace(err);
        } else if (!expected) {
            err.println("mgw: run again with --verbose for details");
        }
        err.flush();
        return 1;
    }

    /**
     * Liquibase and the pool log at INFO; on a terminal only warnings show, unless --verbose, and
     * none of the pool's: what it warns about (a broken connection, a connection attempt that
     * outlived the tool) ends in the one line the tool prints about the database anyway.
     */
    private void quietLogging() {
        Level level = verbose ? Level.INFO : Level.WARNING;
        Logger root = Logger.getLogger("");
        root.setLevel(level);
        for (var handler : root.getHandlers()) {
            handler.setLevel(level);
        }
        POOL_LOG.setLevel(verbose ? Level.INFO : Level.SEVERE);
    }

    @Override
    public void close() {
        if (database != null) {
            database.close();
            database = null;
        }
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"mgw " + Version.get() + " (mail-gateway)", "Java " + Runtime.version()};
        }
    }
}
