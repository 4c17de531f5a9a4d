package dev.mgw.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.mgw.core.Hashes;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeyNoLongerValidException;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.keys.StoredKey;
import dev.mgw.server.api.Problem;
import dev.mgw.server.observe.LogContext;
import dev.mgw.server.observe.RequestFilter;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

/**
 * Authenticates {@code X-API-Key}: lookup by the 12-character prefix, then one bcrypt check
 * (a dummy one for an unknown prefix, so timing tells nothing) on the {@link BcryptQueue}. A
 * verified key is remembered by the SHA-256 of the secret until it has gone unused for
 * {@code AUTH_CACHE_SECONDS}, and concurrent first requests with the same key share one check. The
 * cache never decides alone: every statement a request runs re-checks that the key is active and
 * still has the verified hash, so a revoked, re-limited or rotated key is refused on its next
 * request. Failed and running checks are counted per client address ({@link FailedAuthThrottle}).
 */
public final class Authenticator implements AutoCloseable {
    public static final HeaderName X_API_KEY = HeaderNames.create("X-API-Key");
    private static final int MAX_SECRET_LENGTH = 256;
    private static final int MAX_CACHED = 200_000;
    private static final long TOUCH_INTERVAL_MILLIS = 60_000;
    private static final int MAX_FAILURES = 20;
    private static final Duration FAILURE_WINDOW = Duration.ofSeconds(60);
    private static final int MAX_QUEUED_CHECKS = 1_000;
    private static final Duration MAX_CHECK_WAIT = Duration.ofSeconds(1);
    private static final System.Logger LOG = System.getLogger(Authenticator.class.getName());

    private final ApiKeys keys;
    private final KeySecrets secrets;
    private final Clock clock;
    private final FailedAuthThrottle throttle;
    /** By SHA-256 of the secret; a future still running is a check that other requests with the key wait for. */
    private final AsyncCache<String, Verified> verified;
    private final BcryptQueue bcrypt;
    private final Consumer<String> failures;

    /**
     * @param failures told the reason of every failed authentication: missing, invalid, revoked, throttled
     */
    public Authenticator(ApiKeys keys, KeySecrets secrets, Duration cacheFor, Clock clock, Consumer<String> failures) {
        this.keys = keys;
        this.secrets = secrets;
        this.clock = clock;
        this.failures = failures;
        // expiry follows the gateway's clock, which a test can move
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        this.throttle = new FailedAuthThrottle(MAX_FAILURES, FAILURE_WINDOW, clock, ticker);
        this.verified = Caffeine.newBuilder()
                .maximumSize(MAX_CACHED)
                .expireAfterAccess(cacheFor)
                .ticker(ticker)
                // a check that failed leaves the cache as it completes, before anyone else can join it
                .executor(Runnable::run)
                .buildAsync();
        this.bcrypt = new BcryptQueue(Math.max(1, Runtime.getRuntime().availableProcessors() / 2), MAX_QUEUED_CHECKS,
                                      MAX_CHECK_WAIT);
    }

    private record Verified(StoredKey stored, AtomicLong lastTouchedMillis) {
    }

    /** The caller of this request, or a 401/429/503 problem. */
    public Caller authenticate(ServerRequest req) {
        return authenticate(RequestFilter.clientAddress(req), req.headers().first(X_API_KEY));
    }

    /**
     * The caller of an API request once {@code admission} let it in (else its 503 problem), or a
     * 401/429/503 problem; the key's id goes into the request's log lines.
     */
    public Caller authenticate(ServerRequest req, Runnable admission) {
        admission.run();
        Caller caller = authenticate(req);
        LogContext.put("api_key_id", caller.keyId());
        return caller;
    }

    /** Runs an operation of the caller's key; a key revoked or rotated since it was cached is a 401 ({@link #revoked}). */
    public <T> T asKey(Caller caller, Supplier<T> operation) {
        try {
            return operation.get();
        } catch (KeyNoLongerValidException e) {
            throw revoked(caller);
        }
    }

    /**
     * The caller holding {@code presented} (an API key, as sent), from the client {@code address};
     * else a 401 (unknown, revoked or no key), 429 (this address failed too often) or 503 (bcrypt
     * is saturated) problem. HTTP and SMTP submission share this, with one cache and one throttle.
     */
    public Caller authenticate(String address, Optional<String> presented) {
        OptionalLong blocked = throttle.blockedFor(address);
        if (blocked.isPresent()) {
            throw throttled(blocked.getAsLong());
        }
        Optional<String> header = presented.map(String::strip).filter(s -> !s.isEmpty());
        if (header.isEmpty()) {
            throw fail(address, "missing");
        }
        String secret = header.get();
        if (secret.length() > MAX_SECRET_LENGTH) {
            throw fail(address, "invalid");
        }
        String digest = Hashes.sha256Hex(secret);
        CompletableFuture<Verified> known = verified.getIfPresent(digest);
        Verified key;
        if (known == null) {
            key = check(address, digest, secret);
        } else {
            // verified, or another request's check of this key: waiting for it costs no bcrypt of its own
            key = join(known);
            if (key == null) {
                throw fail(address, "invalid");
            }
        }
        touch(key);
        return new Caller(key.stored(), digest);
    }

    /** Drops a caller whose key turned out revoked or rotated; the request gets 401. */
    public Problem revoked(Caller caller) {
        verified.synchronous().invalidate(caller.digest());
        count("revoked");
        return Problem.unauthorized();
    }

    /** bcrypt checks started so far (cache misses): steady traffic keeps this still. */
    public long bcryptChecks() {
        return bcrypt.started();
    }

    /** A key not verified lately: a check, counted for the address while it runs and after it fails. */
    private Verified check(String address, String digest, String secret) {
        OptionalLong refused = throttle.startCheck(address);
        if (refused.isPresent()) {
            throw throttled(refused.getAsLong());
        }
        Verified key;
        try {
            key = verifyOnce(digest, secret);
        } catch (RuntimeException e) {
            throttle.checked(address, false);
            throw e;
        }
        throttle.checked(address, key == null);
        if (key == null) {
            count("invalid");
            throw Problem.unauthorized();
        }
        return key;
    }

    /** The verified key, or null; the first request for a digest checks, later ones join its check. */
    private Verified verifyOnce(String digest, String secret) {
        CompletableFuture<Verified> mine = new CompletableFuture<>();
        CompletableFuture<Verified> shared = verified.get(digest, (d, executor) -> mine);
        if (shared == mine) {
            try {
                mine.complete(verify(secret).map(stored -> new Verified(stored, new AtomicLong())).orElse(null));
            } catch (RuntimeException | Error e) {
                // whatever happens, the check ends: a future left running would hold the key's entry for ever
                mine.completeExceptionally(e);
            }
        }
        return join(shared);
    }

    private Optional<StoredKey> verify(String secret) {
        Optional<StoredKey> stored = keys.findActiveByPrefix(KeySecrets.prefix(secret));
        boolean matches = bcrypt.check(() -> {
            if (stored.isEmpty()) {
                secrets.verifyDummy(secret);
                return false;
            }
            return secrets.verify(secret, stored.get().hash());
        });
        return matches ? stored : Optional.empty();
    }

    /** Keeps {@code last_used_at} current with at most one write per key a minute (per process). */
    private void touch(Verified key) {
        long now = clock.millis();
        long last = key.lastTouchedMillis.get();
        if (now - last >= TOUCH_INTERVAL_MILLIS && key.lastTouchedMillis.compareAndSet(last, now)) {
            Thread.ofVirtual().name("touch-key").start(() -> {
                try {
                    keys.touch(key.stored.key().id());
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "could not record key use: " + e.getMessage());
                }
            });
        }
    }

    private Problem throttled(long retryAfterSeconds) {
        count("throttled");
        return Problem.tooManyRequests("too-many-failed-authentications", "Too many failed authentications",
                                       "too many failed authentications from this address; try again later")
                .header("Retry-After", retryAfterSeconds);
    }

    private Problem fail(String address, String reason) {
        throttle.recordFailure(address);
        count(reason);
        return Problem.unauthorized();
    }

    private void count(String reason) {
        failures.accept(reason);
    }

    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }

    @Override
    public void close() {
        bcrypt.close();
    }
}
