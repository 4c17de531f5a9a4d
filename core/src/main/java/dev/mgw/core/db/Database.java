package dev.mgw.core.db;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.config.JdbcTarget;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbClientException;
import io.helidon.dbclient.DbTransaction;
import io.helidon.dbclient.jdbc.JdbcClientBuilder;
import io.helidon.dbclient.jdbc.JdbcConnectionPool;
import io.helidon.dbclient.jdbc.JdbcParametersConfig;

import org.postgresql.util.PSQLException;

/**
 * The one {@link DbClient} of a process (Helidon DbClient over a HikariCP pool) and what it
 * takes to build it. Every session runs in UTC. No caller waits on the database longer than its
 * {@link Limits}: an unreachable or silent database surfaces as
 * {@link DatabaseUnavailableException}, a database that cannot keep up as
 * {@link DatabaseBusyException}, never as a hang.
 */
public final class Database implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Database.class.getName());
    private static final System.Logger SQL_LOG = System.getLogger("dev.mgw.sql");
    /** SQLSTATEs that mean "the server is not there for us right now". */
    private static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03", "53300");
    /** SQLSTATEs of a statement ended by statement_timeout or lock_timeout: the database is too slow now. */
    private static final Set<String> TIMEOUT_STATES = Set.of("57014", "55P03");
    private static final long QUEUE_TIMEOUT_MILLIS = 1000;
    private static final long QUEUE_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(QUEUE_TIMEOUT_MILLIS);
    /**
     * Once the oldest waiting work has waited this long, or this many pieces of work wait per
     * pooled connection, new requests are turned away at the door.
     */
    static final long SHED_AFTER_MILLIS = 500;
    static final int SHED_WAITING_PER_CONNECTION = 16;
    private static final long SHED_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(SHED_AFTER_MILLIS);
    /**
     * Work has been running for the statement time-out and this long again, and nothing at all
     * has come back from the database meanwhile: it is not answering (a healthy one answers
     * every statement within its statement time-out, and under load some statement every few
     * milliseconds).
     */
    private static final long SILENCE_MARGIN_MILLIS = 500;
    /** While the database is away, how often one caller looks whether it is back. */
    private static final long PROBE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long VALIDATION_TIMEOUT_MILLIS = 500;
    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

    private final HikariDataSource dataSource;
    private final JdbcTarget target;
    private final Limits limits;
    private final DbClient client;
    private final ThreadPoolExecutor executor;
    private final long silentAfterNanos;
    private final int poolSize;
    private final int maxWaiting;
    /** Work running on the database threads, and when the database last answered any of it. */
    private final AtomicInteger running = new AtomicInteger();
    private volatile long lastAnswer = System.nanoTime();
    /** Why the database is known to be away (null while it is not), and when to look again. */
    private volatile String outage;
    private final AtomicLong nextProbe = new AtomicLong();

    private Database(HikariDataSource dataSource, JdbcTarget target, int poolSize, Limits limits, boolean echo) {
        this.dataSource = dataSource;
        this.target = target;
        this.limits = limits;
        this.silentAfterNanos = limits.statement().plusMillis(SILENCE_MARGIN_MILLIS).toNanos();
        this.poolSize = poolSize;
        this.maxWaiting = poolSize * SHED_WAITING_PER_CONNECTION;
        this.executor = new ThreadPoolExecutor(poolSize, poolSize, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                                               DbThread::new);
        JdbcClientBuilder builder = JdbcClientBuilder.create()
                .connectionPool(new Pool())
                .parametersSetter(JdbcParametersConfig.builder()
                                          .useStringBinding(false)
                                          .useByteArrayBinding(false)
                                          .setObjectForJavaTime(true)
                                          .build());
        if (echo) {
            builder.addService(context -> {
                SQL_LOG.log(System.Logger.Level.DEBUG, () -> "SQL " + context.statementName() + ": "
                        + context.statement().replaceAll("\\s+", " "));
                return context;
            });
        }
        this.client = builder.build();
    }

    /**
     * How long the database may keep a caller waiting: for a pooled connection, for one statement
     * and for a lock inside it (both ended by PostgreSQL), for the network (ended by the driver: a
     * silent database), and in all for {@link #run} (the caller gives up even if the database
     * thread is still stuck).
     */
    public record Limits(Duration connection, Duration statement, Duration lock, Duration socket, Duration caller) {
        /**
         * The server's: a request gets its answer, a 503 at worst, within about 2 s (SPEC §5.2). A
         * statement that takes PostgreSQL too long ends well before the caller gives up, so that
         * only a database that does not answer at all leaves callers without an answer; the socket
         * time-out frees a thread stuck on a silent network a little later.
         */
        public static final Limits SERVER = new Limits(Duration.ofMillis(800), Duration.ofMillis(1000),
                                                       Duration.ofMillis(800), Duration.ofSeconds(3),
                                                       Duration.ofMillis(1800));
        /** {@code mgw}'s: a long listing or a wait for a lock may take its time, a silent database still ends. */
        public static final Limits TOOL = new Limits(Duration.ofSeconds(2), Duration.ofSeconds(60),
                                                     Duration.ofSeconds(10), Duration.ofSeconds(90),
                                                     Duration.ofSeconds(100));
    }

    /** The threads that talk to the database: one per pooled connection. */
    private static final class DbThread extends Thread {
        private static final AtomicInteger NUMBER = new AtomicInteger();

        DbThread(Runnable task) {
            super(task, "db-" + NUMBER.incrementAndGet());
            setDaemon(true);
        }
    }

    /** The server's database. */
    public static Database open(GatewayConfig.Database settings) {
        return open(settings.target(), settings.poolSize(), settings.echo(), Limits.SERVER);
    }

    /** Opens the pool; its connections are made in the background, and a statement waits for one. */
    public static Database open(JdbcTarget target, int poolSize, boolean echo, Limits limits) {
        HikariConfig pool = new HikariConfig();
        pool.setPoolName("mgw-" + POOL_NUMBER.incrementAndGet());
        pool.setJdbcUrl(target.jdbcUrl());
        pool.setUsername(target.user().isEmpty() ? null : target.user());
        pool.setPassword(target.password().isEmpty() ? null : target.password().reveal());
        pool.setMaximumPoolSize(poolSize);
        pool.setMinimumIdle(poolSize);
        pool.setConnectionTimeout(limits.connection().toMillis());
        pool.setValidationTimeout(VALIDATION_TIMEOUT_MILLIS);
        pool.setInitializationFailTimeout(-1);
        pool.setConnectionInitSql("SET TIME ZONE 'UTC'; SET statement_timeout = " + limits.statement().toMillis()
                                  + "; SET lock_timeout = " + limits.lock().toMillis());
        driverProperties(target).forEach(pool::addDataSourceProperty);
        pool.addDataSourceProperty("socketTimeout", String.valueOf(limits.socket().toSeconds()));
        return new Database(new HikariDataSource(pool), target, poolSize, limits, echo);
    }

    /**
     * Driver properties every connection gets: untyped string parameters (so UUIDs and JSON bind
     * without casts), a connect timeout, keepalive, no row data in error messages. Values from the
     * URL win.
     */
    static Map<String, String> driverProperties(JdbcTarget target) {
        Map<String, String> properties = new HashMap<>();
        properties.put("stringtype", "unspecified");
        properties.put("ApplicationName", "mail-gateway");
        properties.put("connectTimeout", "2");
        properties.put("tcpKeepAlive", "true");
        // server error details can quote a failing row (recipients, bodies): keep them out of messages and logs
        properties.put("logServerErrorDetail", "false");
        properties.putAll(target.properties());
        return properties;
    }

    public DbClient client() {
        return client;
    }

    public Limits limits() {
        return limits;
    }

    public JdbcTarget target() {
        return target;
    }

    /** A plain JDBC connection outside the pool (schema migrations); the caller closes it. */
    public Connection connect() throws SQLException {
        return connect(target);
    }

    /** Without a socket time-out: a migration may run as long as it must. */
    public static Connection connect(JdbcTarget target) throws SQLException {
        return DriverManager.getConnection(target.jdbcUrl(), connectionProperties(target));
    }

    private static Properties connectionProperties(JdbcTarget target) {
        Properties properties = new Properties();
        if (!target.user().isEmpty()) {
            properties.setProperty("user", target.user());
        }
        if (!target.password().isEmpty()) {
            properties.setProperty("password", target.password().reveal());
        }
        properties.putAll(driverProperties(target));
        return properties;
    }

    /** Runs {@code SELECT 1}; throws {@link DatabaseUnavailableException} when the database is not there. */
    public void ping() {
        run(() -> client.execute().get("SELECT 1"));
    }

    /**
     * Runs database work on one of the database threads (as many as pooled connections), in the
     * order it was asked for, while the caller (a request's virtual thread) waits. JDBC blocks in
     * socket reads; on a platform thread that is one system call, where a virtual thread would
     * go through the poller for every round trip, and the connection pool is never contended.
     * The caller waits at most {@link Limits#caller()}, even when the thread is stuck on a silent
     * network. While the database is known to be away, work fails at once (one caller now and
     * then looks whether it is back). "Cannot reach the database" failures, and work that waited
     * too long behind a database that does not answer, become {@link DatabaseUnavailableException};
     * work that waited longer than {@value #QUEUE_TIMEOUT_MILLIS} ms for a thread, or for its
     * answer, behind a database that does answer becomes {@link DatabaseBusyException}; others
     * pass through unchanged.
     */
    public <T> T run(Supplier<T> work) {
        if (Thread.currentThread() instanceof DbThread) {
            return runHere(work);
        }
        long deadline = System.nanoTime() + limits.caller().toNanos();
        checkAvailable();
        Work<T> result = new Work<>(() -> runHere(work));
        try {
            executor.execute(result);
        } catch (RejectedExecutionException e) {
            throw new DatabaseBusyException("the database client is closed");
        }
        return await(result, deadline, () -> abandon(result));
    }

    /**
     * Waits until {@code deadline} ({@link System#nanoTime()}) for database work that runs on a
     * database thread on the caller's behalf (as {@link #run} does): its result, what it threw,
     * or, when the deadline passes first, what {@link #run} throws then ({@code giveUp} runs first).
     */
    public <T> T await(Future<T> result, long deadline, Runnable giveUp) {
        try {
            return result.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            giveUp.run();
            noteSilence(System.nanoTime());
            throw waitedTooLong("database work got no answer within " + limits.caller().toMillis() + " ms");
        } catch (InterruptedException e) {
            giveUp.run();
            Thread.currentThread().interrupt();
            throw new DatabaseBusyException("interrupted while waiting for the database");
        }
    }

    /** Takes work nobody waits for any more out of the queue; work already running finishes on its own. */
    private void abandon(Work<?> work) {
        executor.remove(work);
        work.cancel(false);
    }

    /** Runs {@code work} in one transaction (as {@link #run}): committed when it returns, rolled back when it throws. */
    public <T> T inTransaction(Function<DbTransaction, T> work) {
        return run(() -> {
            DbTransaction tx = client.transaction();
            try {
                T result = work.apply(tx);
                tx.commit();
                return result;
            } catch (RuntimeException e) {
                try {
                    tx.rollback();
                } catch (RuntimeException ignored) {
                    // the connection is gone or the transaction already ended: nothing left to undo
                }
                throw e;
            }
        });
    }

    /**
     * Turns a new request away while the database is known to be away
     * ({@link DatabaseUnavailableException}), unless it is time to look again; and
     * ({@link DatabaseBusyException}) when database work already waits longer than
     * {@value #SHED_AFTER_MILLIS} ms for a thread, or when {@value #SHED_WAITING_PER_CONNECTION}
     * pieces of work per pooled connection wait: under overload the excess gets a quick 503
     * before it costs parsing and a queue place, and what is admitted stays fast.
     */
    public void admit() {
        long now = System.nanoTime();
        noteSilence(now);
        String away = outage;
        if (away != null && now - nextProbe.get() < 0) {
            throw unavailable(away);
        }
        int waiting = executor.getQueue().size();
        if (waiting >= maxWaiting) {
            throw new DatabaseBusyException(waiting + " requests are waiting for a connection");
        }
        long waited = queueDelayNanos();
        if (waited > SHED_AFTER_NANOS) {
            throw new DatabaseBusyException("database work is waiting " + TimeUnit.NANOSECONDS.toMillis(waited)
                                            + " ms for a connection");
        }
    }

    /** How long the oldest waiting database work has waited; 0 when nothing waits. */
    long queueDelayNanos() {
        return executor.getQueue().peek() instanceof Work<?> oldest ? System.nanoTime() - oldest.queuedAt : 0;
    }

    /** Database work waiting for a thread; gives up once it has waited too long. */
    private final class Work<T> extends FutureTask<T> {
        private final long queuedAt = System.nanoTime();

        Work(Callable<T> work) {
            super(work);
        }

        @Override
        public void run() {
            long now = System.nanoTime();
            if (now - queuedAt > QUEUE_TIMEOUT_NANOS) {
                setException(waitedTooLong("database work waited more than " + QUEUE_TIMEOUT_MILLIS + " ms"));
                return;
            }
            if (running.getAndIncrement() == 0) {
                lastAnswer = now;
            }
            try {
                super.run();
            } finally {
                running.decrementAndGet();
            }
        }
    }

    private <T> T runHere(Supplier<T> work) {
        try {
            T result = work.get();
            lastAnswer = System.nanoTime();
            return result;
        } catch (RuntimeException e) {
            if (!isUnavailable(e)) {
                lastAnswer = System.nanoTime();
            }
            throw translate(e);
        }
    }

    /** Marks the database away when work has run longer than a statement may without any answer. */
    private void noteSilence(long now) {
        long silent = now - lastAnswer;
        if (running.get() > 0 && silent > silentAfterNanos) {
            away("no answer for " + TimeUnit.NANOSECONDS.toMillis(silent) + " ms");
        }
    }

    /** Too long a wait: the database's fault while it is away, else more work than it keeps up with. */
    private RuntimeException waitedTooLong(String what) {
        String away = outage;
        return away != null ? unavailable(away) : new DatabaseBusyException(what);
    }

    /**
     * Marks the database away. The pool stops keeping connections open meanwhile: it would retry
     * in the background with a back-off that grows to 5 s, and might sleep that long after the
     * database is back; asked for a connection after {@link #back()}, it starts afresh.
     */
    private void away(String reason) {
        if (outage == null) {
            nextProbe.set(System.nanoTime());
            outage = reason;
            dataSource.getHikariConfigMXBean().setMinimumIdle(0);
            LOG.log(System.Logger.Level.INFO, "database " + target.display() + " is unavailable: " + reason);
        }
    }

    private void back() {
        lastAnswer = System.nanoTime();
        outage = null;
        dataSource.getHikariConfigMXBean().setMinimumIdle(poolSize);
        LOG.log(System.Logger.Level.INFO, "database " + target.display() + " answers again");
    }

    /**
     * Lets the caller on while the database is not known to be away; else fails it at once,
     * unless it is time to look again, which one caller does with a connection of its own (the
     * pool, whose connections may be stuck on a silent network, is not asked).
     */
    private void checkAvailable() {
        String away = outage;
        if (away == null) {
            return;
        }
        long due = nextProbe.get();
        long now = System.nanoTime();
        if (now - due < 0 || !nextProbe.compareAndSet(due, now + PROBE_INTERVAL_NANOS)) {
            throw unavailable(away);
        }
        String seconds = String.valueOf(Math.max(1, limits.connection().toSeconds()));
        Properties properties = connectionProperties(target);
        properties.setProperty("connectTimeout", seconds);
        properties.setProperty("loginTimeout", seconds);
        properties.setProperty("socketTimeout", seconds);
        try {
            DriverManager.getConnection(target.jdbcUrl(), properties).close();
            back();
        } catch (SQLException e) {
            throw unavailable(away);
        }
    }

    private DatabaseUnavailableException unavailable(String reason) {
        return DatabaseUnavailableException.of(target, reason);
    }

    /**
     * {@link DatabaseUnavailableException} when {@code e} is caused by an unreachable database or
     * by a statement it ended for taking too long, else {@code e}. A lost database also retires
     * every pooled connection, so that once it is back the next request gets a fresh connection
     * instead of a dead one.
     */
    public RuntimeException translate(RuntimeException e) {
        if (e instanceof DatabaseUnavailableException) {
            return e;
        }
        if (isUnavailable(e)) {
            var pool = dataSource.getHikariPoolMXBean();
            if (pool != null) {
                pool.softEvictConnections();
            }
            return DatabaseUnavailableException.of(target, e);
        }
        if (sqlState(e).filter(TIMEOUT_STATES::contains).isPresent()) {
            return DatabaseUnavailableException.of(target, e);
        }
        return e;
    }

    /** Connections in use, idle, and database work waiting for a thread: the pool gauges. */
    public PoolStats poolStats() {
        var pool = dataSource.getHikariPoolMXBean();
        int waiting = executor.getQueue().size();
        return pool == null
                ? new PoolStats(0, 0, waiting)
                : new PoolStats(pool.getActiveConnections(), pool.getIdleConnections(), waiting);
    }

    /** A snapshot of the connection pool. */
    public record PoolStats(int active, int idle, int waiting) {
    }

    public static boolean isUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException
                || t instanceof ConnectException
                || t instanceof NoRouteToHostException
                || t instanceof UnknownHostException
                || t instanceof SocketTimeoutException
                || t instanceof EOFException
                || t instanceof SocketException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                && (sql.getSQLState().startsWith("08") || UNAVAILABLE_STATES.contains(sql.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    /** The SQLSTATE of the database error behind a failure, if there is one. */
    public static Optional<String> sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return Optional.of(sql.getSQLState());
            }
        }
        return Optional.empty();
    }

    /** The constraint a failed statement violated (unique, check, foreign key), if that is why it failed. */
    public static Optional<String> violatedConstraint(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PSQLException psql && psql.getServerErrorMessage() != null
                && psql.getSQLState() != null && psql.getSQLState().startsWith("23")) {
                return Optional.ofNullable(psql.getServerErrorMessage().getConstraint());
            }
        }
        return Optional.empty();
    }

    /** The innermost message of a failure: what went wrong, without the layers that relayed it. */
    public static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
        dataSource.close();
    }

    /**
     * Hands Helidon DbClient connections from the pool; a pool that gives up within its timeout
     * means the database is away.
     */
    private final class Pool implements JdbcConnectionPool {
        @Override
        public Connection connection() {
            try {
                return dataSource.getConnection();
            } catch (SQLException e) {
                String reason = "no connection within " + limits.connection().toMillis() + " ms: " + rootMessage(e);
                away(reason);
                throw new DbClientException(reason, e);
            }
        }

        @Override
        public String dbType() {
            return "jdbc:postgresql";
        }
    }
}
