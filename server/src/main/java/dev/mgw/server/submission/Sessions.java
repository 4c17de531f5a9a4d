package dev.mgw.server.submission;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.subethamail.smtp.server.Session;
import org.subethamail.smtp.server.SessionHandler;

/**
 * The connections of the submission listener: what each did, counted by result in
 * {@code smtp_submission_sessions_total} when it ends ({@code submitted}: at least one message
 * accepted; {@code auth_failed}: only failed authentications; {@code limited}: closed by a limit of
 * SPEC §13; {@code no_message}: anything else), and the messages each has begun (at most
 * {@value #MAX_MESSAGES}).
 */
final class Sessions implements SessionHandler {
    static final int MAX_MESSAGES = 100;

    private final Map<String, State> open = new ConcurrentHashMap<>();
    private final Consumer<String> ended;

    /** {@code ended} is told the result of every connection that ends. */
    Sessions(Consumer<String> ended) {
        this.ended = ended;
    }

    private static final class State {
        final AtomicInteger begun = new AtomicInteger();
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicBoolean authFailed = new AtomicBoolean();
        final AtomicBoolean limited = new AtomicBoolean();
    }

    @Override
    public SessionAcceptance accept(Session session) {
        open.put(session.getSessionId(), new State());
        return SessionAcceptance.success();
    }

    @Override
    public void onSessionEnd(Session session) {
        State state = open.remove(session.getSessionId());
        if (state == null) {
            return;
        }
        ended.accept(state.accepted.get() > 0 ? "submitted"
                             : state.limited.get() ? "limited"
                             : state.authFailed.get() ? "auth_failed"
                             : "no_message");
    }

    /** A new mail transaction on the connection: false (and the connection is marked limited) past the limit. */
    boolean begin(String sessionId) {
        State state = open.get(sessionId);
        if (state == null) {
            return true;
        }
        if (state.begun.incrementAndGet() > MAX_MESSAGES) {
            state.limited.set(true);
            return false;
        }
        return true;
    }

    void accepted(String sessionId) {
        State state = open.get(sessionId);
        if (state != null) {
            state.accepted.incrementAndGet();
        }
    }

    void authFailed(String sessionId) {
        State state = open.get(sessionId);
        if (state != null) {
            state.authFailed.set(true);
        }
    }

    void limited(String sessionId) {
        State state = open.get(sessionId);
        if (state != null) {
            state.limited.set(true);
        }
    }

    int open() {
        return open.size();
    }
}
