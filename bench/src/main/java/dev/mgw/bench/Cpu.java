package dev.mgw.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a phase's CPU went, from {@code /proc}: the gateway (user and system time apart), every
 * PostgreSQL process, the SMTP sink's connection threads and the rest of this JVM (the load).
 * Clock ticks are 100 a second on Linux.
 */
final class Cpu {
    private Cpu() {
    }

    /** CPU seconds used so far. */
    record Split(double gatewayUser, double gatewaySystem, double postgres, double sink, double load, double busy,
                 double idle, double softirq) {
        Split minus(Split before) {
            return new Split(gatewayUser - before.gatewayUser, gatewaySystem - before.gatewaySystem,
                             postgres - before.postgres, sink - before.sink, load - before.load,
                             busy - before.busy, idle - before.idle, softirq - before.softirq);
        }

        /** Microseconds of each per message. */
        String perMessage(long messages) {
            double per = 1e6 / Math.max(1, messages);
            return String.format(Locale.ROOT, "gateway %.0f (user %.0f, system %.0f), PostgreSQL %.0f, sink %.0f, "
                                              + "load %.0f, the whole machine %.0f (of it softirq %.0f; %.0f %% busy); "
                                              + "%,d messages",
                                 (gatewayUser + gatewaySystem) * per, gatewayUser * per, gatewaySystem * per,
                                 postgres * per, sink * per, load * per, busy * per, softirq * per,
                                 100 * busy / (busy + idle), messages);
        }
    }

    static Split split(long gatewayPid) throws IOException {
        long[] gateway = ticks(Path.of("/proc", String.valueOf(gatewayPid), "stat"));
        long postgres = 0;
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                try {
                    if (Files.readString(process.resolve("comm")).startsWith("postgres")) {
                        long[] t = ticks(process.resolve("stat"));
                        postgres += t[0] + t[1];
                    }
                } catch (IOException gone) {
                    // the process ended meanwhile
                }
            }
        }
        long sink = 0;
        long[] process = ticks(Path.of("/proc", "self", "stat"));
        long self = process[0] + process[1];
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(Path.of("/proc", "self", "task"))) {
            for (Path thread : threads) {
                try {
                    long[] t = ticks(thread.resolve("stat"));
                    if (Files.readString(thread.resolve("comm")).startsWith("smtp-sink")) {
                        sink += t[0] + t[1];
                    }
                } catch (IOException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        // the machine: the first line of /proc/stat, user nice system idle iowait irq softirq steal ...
        String[] all = Files.readAllLines(Path.of("/proc", "stat")).getFirst().trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < all.length && i <= 8; i++) {
            busy += i == 4 || i == 5 ? 0 : Long.parseLong(all[i]);
        }
        long idle = Long.parseLong(all[4]) + Long.parseLong(all[5]);
        return new Split(gateway[0] / 100.0, gateway[1] / 100.0, postgres / 100.0, sink / 100.0,
                         (self - sink) / 100.0, busy / 100.0, idle / 100.0, Long.parseLong(all[7]) / 100.0);
    }

    /** utime and stime, fields 14 and 15 of proc(5), in clock ticks. */
    static long[] ticks(Path stat) throws IOException {
        String line = Files.readString(stat);
        String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12])};
    }
}
