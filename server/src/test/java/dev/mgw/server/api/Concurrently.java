package dev.mgw.server.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Runs n calls at once (released together) and collects their results. The callers are platform
 * threads, as clients are outside the server: virtual ones would crowd the server's scheduler.
 */
final class Concurrently {
    private Concurrently() {
    }

    static <T> List<T> run(int n, IntFunction<T> call) {
        return results(start(n, call));
    }

    /** Starts n calls at once and returns without waiting for them: {@link #results} collects them. */
    static <T> List<Future<T>> start(int n, IntFunction<T> call) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<T>> futures = new ArrayList<>();
        ExecutorService executor = Executors.newFixedThreadPool(n);
        for (int i = 0; i < n; i++) {
            int index = i;
            futures.add(executor.submit(() -> {
                start.await();
                return call.apply(index);
            }));
        }
        start.countDown();
        executor.shutdown();
        return futures;
    }

    static <T> List<T> results(List<Future<T>> futures) {
        List<T> results = new ArrayList<>();
        for (Future<T> future : futures) {
            try {
                results.add(future.get());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return results;
    }
}
