package dev.mgw.server.observe;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import dev.mgw.core.config.GatewayConfig;

/**
 * Sends every log record of the process (the gateway's, Helidon's, Liquibase's, HikariCP's via
 * SLF4J) through one handler on stdout in the configured format and level.
 */
public final class Logging {
    // JUL holds loggers weakly: a level set on an unreferenced logger is lost when it is collected.
    private static final Logger LIQUIBASE = Logger.getLogger("liquibase");
    private static final Logger SQL = Logger.getLogger("dev.mgw.sql");
    /** Warns, with a stack trace, about every connection attempt that fails during an outage (the gateway reports it once). */
    private static final Logger PG_CONNECTION_FACTORY = Logger.getLogger("org.postgresql.core.ConnectionFactory");
    /** Warns about rolling back a transaction whose first statement found no connection: expected during an outage. */
    private static final Logger DBCLIENT_TRANSACTION = Logger.getLogger("io.helidon.dbclient.jdbc.TransactionContext");

    private Logging() {
    }

    public static void configure(GatewayConfig config) {
        configure(config, System.out);
    }

    /** As {@link #configure(GatewayConfig)}, writing to {@code out}. */
    public static void configure(GatewayConfig config, OutputStream out) {
        configure(config.logLevel(), config.logJson(), out);
        String password = config.smtp().password().reveal();
        Masking.register(password);
        if (!password.isEmpty()) {
            // as SMTP AUTH LOGIN and PLAIN carry it, should a protocol trace ever reach the log
            Base64.Encoder base64 = Base64.getEncoder();
            Masking.register(base64.encodeToString(password.getBytes(StandardCharsets.UTF_8)));
            String user = config.smtp().username().orElse("");
            Masking.register(base64.encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)));
        }
        Masking.register(config.database().target().password().reveal());
        if (config.database().echo()) {
            SQL.setLevel(Level.FINE);
        }
    }

    /** Writes out every line logged so far: the last thing a stopping process does. */
    public static void flush() {
        for (Handler handler : Logger.getLogger("").getHandlers()) {
            handler.flush();
        }
    }

    /** Replaces the JUL configuration: one handler writing to {@code out}. */
    public static void configure(Level level, boolean json, OutputStream out) {
        if (LogManager.getLogManager() instanceof Manager manager) {
            manager.resetNow();
        } else {
            LogManager.getLogManager().reset();
        }
        Logger root = Logger.getLogger("");
        root.setLevel(level);
        Handler handler = new AsyncStdoutHandler(out, json);
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        // Liquibase narrates every step at INFO; the gateway logs the outcome itself.
        LIQUIBASE.setLevel(level.intValue() < Level.INFO.intValue() ? level : Level.WARNING);
        PG_CONNECTION_FACTORY.setLevel(Level.SEVERE);
        DBCLIENT_TRANSACTION.setLevel(Level.SEVERE);
    }

    /**
     * The JDK resets logging in a shutdown hook of its own, racing the gateway's shutdown and
     * swallowing its last lines; with this manager (installed by {@link dev.mgw.server.Main} before
     * anything logs) only {@link #configure} resets.
     */
    public static final class Manager extends LogManager {
        private volatile boolean resetting;

        @Override
        public void reset() {
            if (resetting) {
                super.reset();
            }
        }

        void resetNow() {
            resetting = true;
            try {
                super.reset();
            } finally {
                resetting = false;
            }
        }
    }

    /**
     * Formats on the logging thread and writes on one background thread, many lines per write
     * call: a request's access line costs no system call of its own. Lines keep their order;
     * when the queue is full, loggers wait. {@link #flush()} waits until everything is written.
     */
    private static final class AsyncStdoutHandler extends Handler {
        private static final int QUEUE = 65_536;
        /**
         * Once a line is there, how long the writer waits for more before it writes them all: one
         * write (and one wake-up of this thread) per burst instead of per line, which under load
         * is one system call and one context switch less per request. A line reaches stdout at
         * most this much later.
         */
        private static final long LINGER_MILLIS = 10;
        private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(QUEUE);
        private final OutputStream out;
        private final AtomicLong queued = new AtomicLong();
        private final AtomicLong written = new AtomicLong();

        AsyncStdoutHandler(OutputStream out, boolean json) {
            this.out = out;
            setFormatter(new LogFormatter(json));
            Thread.ofPlatform().daemon().name("log-writer").start(this::writeLoop);
        }

        @Override
        public void publish(LogRecord record) {
            if (!isLoggable(record)) {
                return;
            }
            String line = getFormatter().format(record);
            queued.incrementAndGet();
            try {
                lines.put(line);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                queued.decrementAndGet();
            }
        }

        private void writeLoop() {
            List<String> batch = new ArrayList<>(1024);
            StringBuilder text = new StringBuilder(64 * 1024);
            while (true) {
                try {
                    batch.add(lines.take());
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    Thread.sleep(LINGER_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // write what is there; the next take ends the loop
                }
                lines.drainTo(batch, 4095);
                text.setLength(0);
                batch.forEach(text::append);
                try {
                    out.write(text.toString().getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (IOException e) {
                    // stdout is gone; nothing sensible to report it to
                }
                written.addAndGet(batch.size());
                batch.clear();
            }
        }

        /** Waits (up to two seconds) until every line published so far is written. */
        @Override
        public void flush() {
            long target = queued.get();
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (written.get() < target && System.nanoTime() < deadline) {
                Thread.onSpinWait();
                Thread.yield();
            }
        }

        @Override
        public void close() {
            flush();
        }
    }
}
