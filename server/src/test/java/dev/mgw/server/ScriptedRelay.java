package dev.mgw.server;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw-socket SMTP relay for what GreenMail cannot be made to do: take a whole message and then
 * reset the connection, answer 250 only after the client stopped waiting, drop the connection
 * when it is checked with {@code RSET}, refuse a recipient with a scripted reply. It records every
 * message it took (its Message-ID, the connection it came on, counted from 1, and the recipients
 * it was taken for) and every {@code RSET}. {@link #pipelining()} makes one that offers PIPELINING
 * and answers as a pipelining server does (RFC 2920): replies go out once the input read so far is
 * used up, so the replies to a group of commands sent together leave together; it records those
 * groups.
 */
public final class ScriptedRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger resets = new AtomicInteger();
    private final AtomicBoolean dropOnRset = new AtomicBoolean();
    private final Queue<AfterData> afterData = new ConcurrentLinkedQueue<>();
    private final List<Taken> taken = new CopyOnWriteArrayList<>();
    private final Map<String, Queue<String>> rcptReplies = new ConcurrentHashMap<>();
    private final Queue<String> mailReplies = new ConcurrentLinkedQueue<>();
    private final List<List<String>> groups = new CopyOnWriteArrayList<>();
    private final boolean pipelining;
    /** While set, every message read in full waits for it before its 250 ({@link #holdDataAnswers}). */
    private volatile CountDownLatch dataGate;

    /** A message the relay read to its final dot, and the recipients it took it for. */
    public record Taken(String messageId, int connection, List<String> recipients) {
    }

    /**
     * How the relay ends a message's DATA: reset the connection, answer 250 after a delay, or
     * (stall) stop reading after its 354 and hold the connection open for the delay.
     */
    private record AfterData(boolean reset, Duration delay, boolean stall) {
        AfterData(boolean reset, Duration delay) {
            this(reset, delay, false);
        }
    }

    public ScriptedRelay() {
        this(false);
    }

    /** A relay that offers PIPELINING. */
    public static ScriptedRelay pipelining() {
        return new ScriptedRelay(true);
    }

    private ScriptedRelay(boolean pipelining) {
        this.pipelining = pipelining;
        try {
            listener = new ServerSocket();
            // a small window, so that a relay that stops reading soon leaves its client stuck in a write
            listener.setReceiveBufferSize(16 * 1024);
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a port for the scripted relay", e);
        }
        Thread.ofVirtual().name("scripted-relay").start(this::acceptLoop);
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** The next message is read in full, then the connection is reset without an answer. */
    public void resetAfterNextData() {
        afterData.add(new AfterData(true, Duration.ZERO));
    }

    /**
     * After the next {@code DATA}'s 354 the relay reads nothing more and holds the connection open
     * for {@code hold}: a client with more to send than the socket buffers take is stuck in a write.
     */
    public void stopReadingAfterNextDataFor(Duration hold) {
        afterData.add(new AfterData(false, hold, true));
    }

    /** From now on every message is read in full and answered 250 only after {@link #releaseDataAnswers}. */
    public void holdDataAnswers() {
        dataGate = new CountDownLatch(1);
    }

    /** Answers the messages held by {@link #holdDataAnswers}, and those after them at once. */
    public void releaseDataAnswers() {
        CountDownLatch gate = dataGate;
        dataGate = null;
        if (gate != null) {
            gate.countDown();
        }
    }

    /** The next message is read in full and answered 250 only after {@code delay}. */
    public void answerNextDataAfter(Duration delay) {
        afterData.add(new AfterData(false, delay));
    }

    /**
     * The next {@code RCPT TO} of this address (lower-case) is answered with these replies in
     * turn, one per attempt, e.g. {@code 452 4.2.2 Mailbox full}; afterwards it is taken.
     */
    public void refuseRecipient(String address, String... replies) {
        rcptReplies.computeIfAbsent(address, a -> new ConcurrentLinkedQueue<>()).addAll(List.of(replies));
    }

    /** The next {@code MAIL FROM} is answered with this reply, e.g. {@code 553 5.7.1 Sender rejected}. */
    public void refuseNextMail(String reply) {
        mailReplies.add(reply);
    }

    /**
     * The commands answered together, in order, each by its verb ({@code [RSET, MAIL, RCPT, DATA]}):
     * with a pipelining relay, a group of commands the client sent in one go.
     */
    public List<List<String>> groups() {
        return groups;
    }

    /** The next {@code RSET} resets the connection instead of an answer. */
    public void dropConnectionOnNextRset() {
        dropOnRset.set(true);
    }

    public List<Taken> taken() {
        return taken;
    }

    /** The messages taken with this Message-ID. */
    public List<Taken> taken(String messageId) {
        return taken.stream().filter(t -> messageId.equals(t.messageId())).toList();
    }

    /** {@code RSET} commands received so far. */
    public int resets() {
        return resets.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                int connection = connections.incrementAndGet();
                Thread.ofVirtual().name("scripted-relay-" + connection).start(() -> converse(socket, connection));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void converse(Socket socket, int connection) {
        try (socket;
             BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                                                                          StandardCharsets.ISO_8859_1));
             OutputStream socketOut = socket.getOutputStream()) {
            Replies out = new Replies(new BufferedOutputStream(socketOut), in);
            out.answer("220 scripted.test ESMTP");
            List<String> recipients = new ArrayList<>();
            boolean mail = false;
            String line;
            while ((line = in.readLine()) != null) {
                String verb = line.length() < 4 ? line : line.substring(0, 4).toUpperCase(Locale.ROOT);
                out.verb(verb);
                switch (verb) {
                    case "EHLO" -> out.answer(pipelining ? "250-scripted.test\r\n250 PIPELINING" : "250 scripted.test");
                    case "HELO" -> out.answer("250 scripted.test");
                    case "MAIL" -> {
                        recipients.clear();
                        String refusal = mailReplies.poll();
                        mail = refusal == null;
                        out.answer(mail ? "250 2.1.0 Ok" : refusal);
                    }
                    case "RCPT" -> {
                        if (!mail) {
                            out.answer("503 5.5.1 Error: need MAIL command");
                            continue;
                        }
                        String address = line.substring(line.indexOf('<') + 1, line.lastIndexOf('>'))
                                .toLowerCase(Locale.ROOT);
                        Queue<String> replies = rcptReplies.get(address);
                        String refusal = replies == null ? null : replies.poll();
                        if (refusal == null) {
                            recipients.add(address);
                            out.answer("250 2.1.5 Ok");
                        } else {
                            out.answer(refusal);
                        }
                    }
                    case "NOOP" -> out.answer("250 2.0.0 Ok");
                    case "RSET" -> {
                        resets.incrementAndGet();
                        recipients.clear();
                        mail = false;
                        if (dropOnRset.getAndSet(false)) {
                            reset(socket);
                            return;
                        }
                        out.answer("250 2.0.0 Ok");
                    }
                    case "DATA" -> {
                        if (recipients.isEmpty()) {
                            // as a pipelining client needs it: DATA after every recipient was refused is refused
                            out.answer(mail ? "554 5.5.1 Error: no valid recipients" : "503 5.5.1 Error: need RCPT command");
                            continue;
                        }
                        out.answer("354 End data with <CR><LF>.<CR><LF>");
                        AfterData end = afterData.poll();
                        if (end != null && end.stall()) {
                            Thread.sleep(end.delay());
                            return;
                        }
                        taken.add(new Taken(readMessageId(in), connection, List.copyOf(recipients)));
                        if (end != null && end.reset()) {
                            reset(socket);
                            return;
                        }
                        if (end != null) {
                            Thread.sleep(end.delay());
                        }
                        CountDownLatch gate = dataGate;
                        if (gate != null) {
                            gate.await();
                        }
                        mail = false;
                        recipients.clear();
                        out.answer("250 2.0.0 Ok: queued");
                    }
                    case "QUIT" -> {
                        out.answer("221 2.0.0 Bye");
                        return;
                    }
                    default -> out.answer("502 5.5.2 Command not recognized");
                }
            }
        } catch (IOException e) {
            // the client went away (it timed out, or closed after an error): nothing more to say
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads the message up to the lone dot; returns its Message-ID header. */
    private static String readMessageId(BufferedReader in) throws IOException {
        String messageId = null;
        String line;
        while ((line = in.readLine()) != null && !line.equals(".")) {
            if (messageId == null && line.regionMatches(true, 0, "Message-ID:", 0, 11)) {
                messageId = line.substring(11).strip();
            }
        }
        return messageId;
    }

    /**
     * The replies of one connection. A plain relay sends each at once; a pipelining one once the
     * client's input read so far is used up, and notes the verbs answered together as a group.
     */
    private final class Replies {
        private final OutputStream out;
        private final BufferedReader in;
        private final List<String> verbs = new ArrayList<>();

        Replies(OutputStream out, BufferedReader in) {
            this.out = out;
            this.in = in;
        }

        void verb(String verb) {
            verbs.add(verb);
        }

        void answer(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            if (!pipelining || !in.ready()) {
                out.flush();
                if (!verbs.isEmpty()) {
                    groups.add(List.copyOf(verbs));
                    verbs.clear();
                }
            }
        }
    }

    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        releaseDataAnswers();
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
