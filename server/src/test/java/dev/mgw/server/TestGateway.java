package dev.mgw.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.mgw.cli.Mgw;

import dev.mgw.core.config.ConfigLoader;
import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.keys.NewKey;
import dev.mgw.core.testing.TcpProxy;
import dev.mgw.core.testing.TestDatabase;
import dev.mgw.server.api.BodyBudget;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;

import picocli.CommandLine;

/**
 * The real gateway for one test class: a database of its own, reached through a {@link TcpProxy}
 * (so a test can take the database away), configured through the same environment names
 * operators use, started by the same {@link Main#server}/{@link Main#routing} as production.
 * Delivery and webhook workers are off ({@code DELIVERY_WORKERS=0}, {@code WEBHOOK_WORKERS=0}) unless a
 * test's settings turn them on.
 */
public final class TestGateway implements AutoCloseable {
    private final TestDatabase db;
    private final TcpProxy databaseProxy;
    private final Gateway gateway;

    private TestGateway(TestDatabase db, TcpProxy databaseProxy, Gateway gateway) {
        this.db = db;
        this.databaseProxy = databaseProxy;
        this.gateway = gateway;
    }

    /** A gateway on an empty database that it migrates at start, as {@code make run} does. */
    public static TestGateway start(Class<?> testClass, Map<String, String> settings) {
        return start(testClass, settings, Clock.systemUTC());
    }

    public static TestGateway start(Class<?> testClass, Map<String, String> settings, Clock clock) {
        return start(TestDatabase.empty(testClass), settings, clock);
    }

    public static TestGateway start(TestDatabase db, Map<String, String> settings, Clock clock) {
        return start(db, settings, clock, BodyBudget.ofHeap());
    }

    /** A gateway whose request bodies may take {@code bodyBudget}, instead of a share of this JVM's heap. */
    public static TestGateway start(Class<?> testClass, Map<String, String> settings, BodyBudget bodyBudget) {
        return start(TestDatabase.empty(testClass), settings, Clock.systemUTC(), bodyBudget);
    }

    private static TestGateway start(TestDatabase db, Map<String, String> settings, Clock clock, BodyBudget bodyBudget) {
        TcpProxy proxy = db.proxy();
        Map<String, String> env = new HashMap<>();
        env.put("MGW_CONFIG", "");
        env.put("DATABASE_URL", db.urlThrough(proxy));
        env.put("DELIVERY_WORKERS", "0");
        env.put("WEBHOOK_WORKERS", "0");
        env.putAll(settings);
        GatewayConfig config = ConfigLoader.fromValues(env);
        Gateway gateway = Gateway.create(config, clock, bodyBudget);
        gateway.start();
        return new TestGateway(db, proxy, gateway);
    }

    public void server(WebServerConfig.Builder builder) {
        Main.server(builder, gateway);
    }

    public void routing(HttpRouting.Builder routing) {
        Main.routing(routing, gateway);
    }

    /** Creates a key straight in the database (bcrypt cost 4: quick) and returns its secret. */
    public String key(String name, int dailyLimit) {
        return keys().create(new NewKey(name, dailyLimit, Optional.empty(), Optional.empty())).secret();
    }

    /** Creates a key limited to these recipients (addresses or domains). */
    public String key(String name, int dailyLimit, List<String> allowedRecipients) {
        return keys().create(new NewKey(name, dailyLimit, Optional.of(allowedRecipients), Optional.empty())).secret();
    }

    private ApiKeys keys() {
        return new ApiKeys(gateway.database(), new KeySecrets(4), gateway.clock());
    }

    /** Runs {@code mgw} in-process against this gateway's database, as an operator would; returns the exit code. */
    public int mgw(String... args) {
        return mgwRun(args).exit();
    }

    /** Runs {@code mgw} in-process and returns its exit code and output. */
    public MgwResult mgwRun(String... args) {
        Map<String, String> env = Map.of("DATABASE_URL", db.url(), "MGW_CONFIG", "");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        try (Mgw mgw = new Mgw(env, Clock.systemUTC())) {
            CommandLine commandLine = mgw.commandLine();
            commandLine.setOut(new PrintWriter(out, true));
            commandLine.setErr(new PrintWriter(err, true));
            return new MgwResult(commandLine.execute(args), out.toString(), err.toString());
        }
    }

    /** What an in-process {@code mgw} run printed. */
    public record MgwResult(int exit, String out, String err) {
    }

    public Gateway gateway() {
        return gateway;
    }

    public TestDatabase db() {
        return db;
    }

    /** Recipients charged to the key with this name, over all its days. */
    public long charged(String keyName) {
        return db.queryLong("SELECT COALESCE(sum(u.count), 0) FROM daily_usage u JOIN api_keys k "
                            + "ON k.id = u.api_key_id WHERE k.name = '" + keyName + "'");
    }

    /** Messages stored for the key with this name. */
    public long stored(String keyName) {
        return db.queryLong("SELECT count(*) FROM messages m JOIN api_keys k ON k.id = m.api_key_id "
                            + "WHERE k.name = '" + keyName + "'");
    }

    /** Cuts and restores the gateway's way to the database (PostgreSQL itself keeps running). */
    public TcpProxy databaseProxy() {
        return databaseProxy;
    }

    @Override
    public void close() {
        gateway.close();
        databaseProxy.close();
        db.close();
    }
}
