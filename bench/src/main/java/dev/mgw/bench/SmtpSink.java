package dev.mgw.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback SMTP server that takes every message and keeps only what the measurements need:
 * each Message-ID and when (System.nanoTime) it arrived, every time it did. It speaks enough SMTP for Angus
 * Mail (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and costs next to nothing, so the gateway is
 * what gets measured. It can go down (refusing connections) and come back.
 *
 * <p>Run on its own ({@code make sink}), it also prints every message it receives, envelope and
 * all, so that a newcomer can watch the gateway deliver without a mail server.
 */
final class SmtpSink implements AutoCloseable {
    private final ServerSocket listener;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Map<String, List<Long>> arrivals = new ConcurrentHashMap<>();
    private final AtomicLong transactions = new AtomicLong();
    /** Where received messages are printed; null (the measurements) = nowhere. */
    private final PrintStream printer;
    private final AtomicLong printed = new AtomicLong();
    private volatile boolean down;

    SmtpSink() throws IOException {
        this(0, null);
    }

    private SmtpSink(int port, PrintStream printer) throws IOException {
        this.printer = printer;
        listener = new ServerSocket(port, 1000, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("smtp-sink").start(this::acceptLoop);
    }

    /** {@code make sink}: listens on 127.0.0.1 at the given port (1025) and prints what it receives, until stopped. */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 1025;
        try (SmtpSink sink = new SmtpSink(port, System.out)) {
            System.out.println("SMTP sink on 127.0.0.1:" + sink.port() + ": every message it receives is printed here "
                               + "(nothing is delivered further). Ctrl-C stops it.");
            System.out.println("Send through it: SMTP_HOST=127.0.0.1 SMTP_PORT=" + sink.port()
                               + " SMTP_FROM_ADDRESS=noreply@example.com make run");
            new CountDownLatch(1).await();
        } catch (BindException e) {
            System.err.println("sink: 127.0.0.1:" + port + " is in use (" + e.getMessage() + "); is a sink running already?");
            System.exit(1);
        }
    }

    int port() {
        return listener.getLocalPort();
    }

    /** When (System.nanoTime) a message first arrived, or null. */
    Long firstArrival(String messageId) {
        List<Long> times = arrivals(messageId);
        return times.isEmpty() ? null : times.getFirst();
    }

    /** When (System.nanoTime) a message arrived, each time it did, in order; empty if never. */
    List<Long> arrivals(String messageId) {
        List<Long> times = arrivals.get(messageId);
        if (times == null) {
            return List.of();
        }
        synchronized (times) {
            return List.copyOf(times);
        }
    }

    long transactions() {
        return transactions.get();
    }

    /** Refuses new connections and drops open ones, as a relay that went away. */
    void goDown() {
        down = true;
        for (Socket socket : connections) {
            closeQuietly(socket);
        }
    }

    void comeBack() {
        down = false;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                if (down) {
                    socket.setSoLinger(true, 0);
                    socket.close();
                    continue;
                }
                connections.add(socket);
                // a platform thread per connection: the gateway keeps a few open (one per delivery worker),
                // and a blocking read costs one system call where a virtual thread's costs several
                // (the poller's registration and wake-up); the sink shares the gateway's cores
                Thread.ofPlatform().daemon().name("smtp-sink-connection").start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        List<String> envelope = new ArrayList<>();
        try (socket; Input in = new Input(socket.getInputStream());
             OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 4096)) {
            socket.setTcpNoDelay(true);
            reply(out, in, "220 sink ESMTP ready");
            String line;
            while ((line = readLine(in)) != null) {
                String command = line.length() >= 4 ? line.substring(0, 4).toUpperCase(Locale.ROOT) : line.toUpperCase(Locale.ROOT);
                switch (command) {
                    case "EHLO" -> reply(out, in, "250-sink\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SIZE 10485760");
                    case "HELO", "NOOP" -> reply(out, in, "250 OK");
                    case "MAIL", "RCPT", "RSET" -> {
                        if (printer != null) {
                            // the envelope of the message to come: MAIL starts it, RSET drops it
                            if (!command.equals("RCPT")) {
                                envelope.clear();
                            }
                            if (!command.equals("RSET")) {
                                envelope.add(line);
                            }
                        }
                        reply(out, in, "250 OK");
                    }
                    case "DATA" -> {
                        reply(out, in, "354 go ahead");
                        StringBuilder text = printer == null ? null : new StringBuilder();
                        String messageId = readData(in, text);
                        if (text != null) {
                            print(envelope, text);
                        }
                        if (messageId != null) {
                            long now = System.nanoTime();
                            List<Long> times = arrivals.computeIfAbsent(messageId, id -> new ArrayList<>(1));
                            synchronized (times) {
                                times.add(now);
                            }
                        }
                        transactions.incrementAndGet();
                        reply(out, in, "250 2.0.0 OK queued");
                    }
                    case "QUIT" -> {
                        reply(out, in, "221 bye");
                        return;
                    }
                    default -> reply(out, in, "502 5.5.2 command not recognized");
                }
            }
        } catch (IOException e) {
            // the client went away or the sink went down
        } finally {
            connections.remove(socket);
        }
    }

    /** Reads a message up to the lone dot, into {@code text} unless it is null; returns its Message-ID. */
    private static String readData(InputStream in, StringBuilder text) throws IOException {
        String messageId = null;
        boolean headers = true;
        String line;
        while ((line = readLine(in)) != null) {
            if (line.equals(".")) {
                return messageId;
            }
            if (text != null) {
                text.append(line.startsWith(".") ? line.substring(1) : line).append('\n');
            }
            if (headers) {
                if (line.isEmpty()) {
                    headers = false;
                } else if (messageId == null && line.regionMatches(true, 0, "Message-ID:", 0, 11)) {
                    messageId = line.substring(11).strip();
                }
            }
        }
        throw new IOException("connection closed in DATA");
    }

    private void print(List<String> envelope, StringBuilder text) {
        long number = printed.incrementAndGet();
        synchronized (printer) {
            printer.println("---------- message " + number + ", received " + Instant.now() + " ----------");
            envelope.forEach(printer::println);
            printer.println();
            printer.print(text);
            printer.println("---------- end of message " + number + " ----------");
            printer.flush();
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int n = line.size();
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, n > 0 && bytes[n - 1] == '\r' ? n - 1 : n, StandardCharsets.ISO_8859_1);
            }
            line.write(c);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * Answers; the answers go out once the client's input read so far is used up, as a pipelining
     * server sends them (RFC 2920): the replies to a group of commands leave together.
     */
    private static void reply(OutputStream out, Input in, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        if (in.buffered() == 0) {
            out.flush();
        }
    }

    /** A buffered input that tells how much it holds (without asking the socket, as available() would). */
    private static final class Input extends BufferedInputStream {
        Input(InputStream in) {
            super(in, 16384);
        }

        synchronized int buffered() {
            return count - pos;
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() throws IOException {
        goDown();
        listener.close();
    }
}
