package dev.mgw.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import dev.mgw.core.Hashes;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.keys.StoredKey;
import dev.mgw.server.api.Problem;
import dev.mgw.server.observe.RequestFilter;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

/**
 * Authenticates {@code X-API-Key}: lookup by the 12-character prefix, then one bcrypt check
 * (a dummy one for an unknown prefix, so timing tells nothing). A verified key is remembered by
 * the SHA-256 of the secret for {@code AUTH_CACHE_SECONDS}, and concurrent first requests with
 * the same key share one check. The cache never decides alone: every statement a request runs
 * re-checks that the key is active and still has the verified hash, so a revoked, re-limited or
 * rotated key is refused on its next request.
 */
public final class Authenticator implements AutoCloseable {
    public static final HeaderName X_API_KEY = HeaderNames.create("X-API-Key");
    private static final int MAX_SECRET_LENGTH = 256;
    private static final int MAX_CACHED = 200_000;
    private static final long TOUCH_INTERVAL_MILLIS = 60_000;
    private static final System.Logger LOG = System.getLogger(Authenticator.class.getName());

    private final ApiKeys keys;
    private final KeySecrets secrets;
    private final long cacheMillis;
    private final Clock clock;
    private final FailedAuthThrottle throttle;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Optional<StoredKey>>> inFlight = new ConcurrentHashMap<>();
    /** bcrypt is CPU-bound for ~80 ms: it runs here, not on the virtual threads' few carriers. */
    private final ExecutorService bcrypt;
    private final LongAdder bcryptChecks = new LongAdder();
    private final Consumer<String> failures;

    /**
     * @param failures told the reason of every failed authentication: missing, invalid, revoked, throttled
     */
    public Authenticator(ApiKeys keys, KeySecrets secrets, Duration cacheFor, Clock clock, Consumer<String> failures) {
        this.keys = keys;
        this.secrets = secrets;
        this.cacheMillis = cacheFor.toMillis();
        this.clock = clock;
        this.failures = failures;
        this.throttle = new FailedAuthThrottle(20, Duration.ofSeconds(60), clock);
        this.bcrypt = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors() / 2),
                                                   Thread.ofPlatform().daemon().name("bcrypt-", 0).factory());
    }

    private record Entry(StoredKey key, long expiresAtMillis, AtomicLong lastTouchedMillis) {
    }

    /** The caller of this request, or a 401/429 problem. */
    public Caller authenticate(ServerRequest req) {
        String address = RequestFilter.clientAddress(req);
        OptionalLong blocked = throttle.blockedFor(address);
        if (blocked.isPresent()) {
            count("throttled");
            throw Problem.tooManyRequests("too-many-failed-authentications", "Too many failed authentications",
                                          "too many failed authentications from this address; try again later")
                    .header("Retry-After", blocked.getAsLong());
        }
        Optional<String> header = req.headers().first(X_API_KEY).map(String::strip).filter(s -> !s.isEmpty());
        if (header.isEmpty()) {
            throw fail(address, "missing");
        }
        String secret = header.get();
        if (secret.length() > MAX_SECRET_LENGTH) {
            throw fail(address, "invalid");
        }
        String digest = Hashes.sha256Hex(secret);
        long now = clock.millis();
        Entry entry = cache.get(digest);
        if (entry != null && entry.expiresAtMillis > now) {
            touch(entry, now);
            return new Caller(entry.key, digest);
        }
        Optional<StoredKey> verified = verifyOnce(digest, secret);
        if (verified.isEmpty()) {
            throw fail(address, "invalid");
        }
        return new Caller(verified.get(), digest);
    }

    /** Drops a caller whose key turned out revoked or rotated; the request gets 401. */
    public Problem revoked(Caller caller) {
        cache.remove(caller.digest());
        count("revoked");
        return Problem.unauthorized();
    }

    /** bcrypt checks run so far (cache misses): steady traffic keeps this still. */
    public long bcryptChecks() {
        return bcryptChecks.sum();
    }

    private Optional<StoredKey> verifyOnce(String digest, String secret) {
        CompletableFuture<Optional<StoredKey>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<StoredKey>> running = inFlight.putIfAbsent(digest, mine);
        if (running != null) {
            return join(running);
        }
        try {
            Optional<StoredKey> verified = verify(secret);
            verified.ifPresent(key -> remember(digest, key));
            mine.complete(verified);
            return verified;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(digest, mine);
        }
    }

    private Optional<StoredKey> verify(String secret) {
        Optional<StoredKey> stored = keys.findActiveByPrefix(KeySecrets.prefix(secret));
        boolean matches = join(CompletableFuture.supplyAsync(() -> {
            bcryptChecks.increment();
            if (stored.isEmpty()) {
                secrets.verifyDummy(secret);
                return false;
            }
            return secrets.verify(secret, stored.get().hash());
        }, bcrypt));
        return matches ? stored : Optional.empty();
    }

    private void remember(String digest, StoredKey key) {
        long now = clock.millis();
        Entry entry = new Entry(key, now + cacheMillis, new AtomicLong());
        if (cacheMillis > 0) {
            if (cache.size() >= MAX_CACHED) {
                cache.values().removeIf(e -> e.expiresAtMillis <= now);
                if (cache.size() >= MAX_CACHED) {
                    cache.clear();
                }
            }
            cache.put(digest, entry);
        }
        touch(entry, now);
    }

    /** Keeps {@code last_used_at} current with at most one write per key a minute (per process). */
    private void touch(Entry entry, long now) {
        long last = entry.lastTouchedMillis.get();
        if (now - last >= TOUCH_INTERVAL_MILLIS && entry.lastTouchedMillis.compareAndSet(last, now)) {
            Thread.ofVirtual().name("touch-key").start(() -> {
                try {
                    keys.touch(entry.key.key().id());
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "could not record key use: " + e.getMessage());
                }
            });
        }
    }

    private Problem fail(String address, String reason) {
        throttle.recordFailure(address);
        count(reason);
        return Problem.unauthorized();
    }

    private void count(String reason) {
        failures.accept(reason);
    }

    private static <T> T join(CompletableFuture<T> future) {
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
        bcrypt.shutdownNow();
    }
}
