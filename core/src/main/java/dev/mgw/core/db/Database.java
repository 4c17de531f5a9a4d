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
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * takes to build it. Every session runs in UTC; a pool that cannot hand out a connection within
 * one second fails the statement, so an unreachable database surfaces as
 * {@link DatabaseUnavailableException} instead of a hang.
 */
public final class Database implements AutoCloseable {
    private static final System.Logger SQL_LOG = System.getLogger("dev.mgw.sql");
    /** SQLSTATEs that mean "the server is not there for us right now". */
    private static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03", "53300");
    /** With the queue time-out, under the 2 s of SPEC §5.2 with room for the request around them. */
    private static final long POOL_TIMEOUT_MILLIS = 800;
    private static final long QUEUE_TIMEOUT_MILLIS = 1000;
    private static final long QUEUE_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(QUEUE_TIMEOUT_MILLIS);
    /**
     * Once the oldest waiting work has waited this long, or this many pieces of work wait per
     * pooled connection, new requests are turned away at the door.
     */
    static final long SHED_AFTER_MILLIS = 500;
    static final int SHED_WAITING_PER_CONNECTION = 16;
    private static final long SHED_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(SHED_AFTER_MILLIS);
    private static final long VALIDATION_TIMEOUT_MILLIS = 500;
    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

    private final DbClient client;
    private final HikariDataSource dataSource;
    private final JdbcTarget target;
    private final ThreadPoolExecutor executor;
    private final int maxWaiting;

    private Database(DbClient client, HikariDataSource dataSource, JdbcTarget target, int poolSize) {
        this.client = client;
        this.dataSource = dataSource;
        this.target = target;
        this.maxWaiting = poolSize * SHED_WAITING_PER_CONNECTION;
        this.executor = new ThreadPoolExecutor(poolSize, poolSize, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                                               DbThread::new);
    }

    /** The threads that talk to the database: one per pooled connection. */
    private static final class DbThread extends Thread {
        private static final AtomicInteger NUMBER = new AtomicInteger();

        DbThread(Runnable task) {
            super(task, "db-" + NUMBER.incrementAndGet());
            setDaemon(true);
        }
    }

    /** Opens the pool lazily: nothing connects until the first statement. */
    public static Database open(GatewayConfig.Database settings) {
        return open(settings.target(), settings.poolSize(), settings.echo());
    }

    public static Database open(JdbcTarget target, int poolSize, boolean echo) {
        HikariConfig pool = new HikariConfig();
        pool.setPoolName("mgw-" + POOL_NUMBER.incrementAndGet());
        pool.setJdbcUrl(target.jdbcUrl());
        pool.setUsername(target.user().isEmpty() ? null : target.user());
        pool.setPassword(target.password().isEmpty() ? null : target.password().reveal());
        pool.setMaximumPoolSize(poolSize);
        pool.setMinimumIdle(poolSize);
        pool.setConnectionTimeout(POOL_TIMEOUT_MILLIS);
        pool.setValidationTimeout(VALIDATION_TIMEOUT_MILLIS);
        pool.setInitializationFailTimeout(-1);
        pool.setConnectionInitSql("SET TIME ZONE 'UTC'");
        driverProperties(target).forEach(pool::addDataSourceProperty);
        HikariDataSource dataSource = new HikariDataSource(pool);

        JdbcClientBuilder builder = JdbcClientBuilder.create()
                .connectionPool(new Pool(dataSource))
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
        return new Database(builder.build(), dataSource, target, poolSize);
    }

    /**
     * Driver properties every connection gets: untyped string parameters (so UUIDs and JSON bind
     * without casts), a connect timeout, a socket timeout that bounds a silent network, keepalive,
     * no row data in error messages. Values from the URL win.
     */
    static Map<String, String> driverProperties(JdbcTarget target) {
        Map<String, String> properties = new HashMap<>();
        properties.put("stringtype", "unspecified");
        properties.put("ApplicationName", "mail-gateway");
        properties.put("connectTimeout", "2");
        properties.put("socketTimeout", "30");
        properties.put("tcpKeepAlive", "true");
        // server error details can quote a failing row (recipients, bodies): keep them out of messages and logs
        properties.put("logServerErrorDetail", "false");
        properties.putAll(target.properties());
        return properties;
    }

    public DbClient client() {
        return client;
    }

    public JdbcTarget target() {
        return target;
    }

    /** A plain JDBC connection outside the pool (schema migrations); the caller closes it. */
    public Connection connect() throws SQLException {
        return connect(target);
    }

    public static Connection connect(JdbcTarget target) throws SQLException {
        Properties properties = new Properties();
        if (!target.user().isEmpty()) {
            properties.setProperty("user", target.user());
        }
        if (!target.password().isEmpty()) {
            properties.setProperty("password", target.password().reveal());
        }
        properties.putAll(driverProperties(target));
        properties.remove("socketTimeout");
        return DriverManager.getConnection(target.jdbcUrl(), properties);
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
     * Work that has waited longer than {@value #QUEUE_TIMEOUT_MILLIS} ms for a thread fails with
     * {@link DatabaseBusyException} instead of piling up; "cannot reach the database" failures
     * become {@link DatabaseUnavailableException}; others pass through unchanged.
     */
    public <T> T run(Supplier<T> work) {
        if (Thread.currentThread() instanceof DbThread) {
            return runHere(work);
        }
        Work<T> result = new Work<>(() -> runHere(work));
        try {
            executor.execute(result);
        } catch (RejectedExecutionException e) {
            throw new DatabaseBusyException("the database client is closed");
        }
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            result.cancel(false);
            Thread.currentThread().interrupt();
            throw new DatabaseBusyException("interrupted while waiting for the database");
        }
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
     * Turns a new request away ({@link DatabaseBusyException}) when database work already waits
     * longer than {@value #SHED_AFTER_MILLIS} ms for a thread, or when {@value #SHED_WAITING_PER_CONNECTION}
     * pieces of work per pooled connection wait: under overload the excess gets a
     * quick 503 before it costs parsing and a queue place, and what is admitted stays fast.
     */
    public void admit() {
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

    /** Database work waiting for a thread; gives up (busy) once it has waited too long. */
    private static final class Work<T> extends FutureTask<T> {
        private final long queuedAt = System.nanoTime();

        Work(Callable<T> work) {
            super(work);
        }

        @Override
        public void run() {
            if (System.nanoTime() - queuedAt > QUEUE_TIMEOUT_NANOS) {
                setException(new DatabaseBusyException("database work waited more than " + QUEUE_TIMEOUT_MILLIS + " ms"));
                return;
            }
            super.run();
        }
    }

    private <T> T runHere(Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /**
     * {@link DatabaseUnavailableException} when {@code e} is caused by an unreachable database, else
     * {@code e}. A lost database also retires every pooled connection, so that once it is back the
     * next request gets a fresh connection instead of a dead one.
     */
    public RuntimeException translate(RuntimeException e) {
        if (e instanceof DatabaseUnavailableException) {
            return e;
        }
        if (!isUnavailable(e)) {
            return e;
        }
        var pool = dataSource.getHikariPoolMXBean();
        if (pool != null) {
            pool.softEvictConnections();
        }
        return DatabaseUnavailableException.of(target, e);
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

    /** Hands Helidon DbClient connections from the pool; a pool that gives up within its timeout is an outage. */
    private record Pool(HikariDataSource dataSource) implements JdbcConnectionPool {
        @Override
        public Connection connection() {
            try {
                return dataSource.getConnection();
            } catch (SQLException e) {
                throw new DbClientException("no database connection within " + POOL_TIMEOUT_MILLIS + " ms", e);
            }
        }

        @Override
        public String dbType() {
            return "jdbc:postgresql";
        }
    }
}
