package dev.mgw.server.submission;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import dev.mgw.core.db.DatabaseBusyException;
import dev.mgw.core.db.DatabaseUnavailableException;
import dev.mgw.server.api.Problem;
import dev.mgw.server.auth.Authenticator;
import dev.mgw.server.auth.Caller;

import org.subethamail.smtp.AuthenticationHandler;
import org.subethamail.smtp.AuthenticationHandlerFactory;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.RejectException;

/**
 * {@code AUTH PLAIN} and {@code AUTH LOGIN} with an API key as the password (the user name is
 * not looked at; by convention {@code apikey}), through the HTTP {@link Authenticator}: the same
 * prefix lookup, bcrypt queue, cache and failure throttle per client address. A wrong key is
 * {@code 535 5.7.8} and counts toward the throttle; an address the throttle blocks, or bcrypt too
 * busy to start the check, is {@code 454 4.7.0}; the database away is {@code 454 4.3.0}.
 */
final class KeyAuthentication implements AuthenticationHandlerFactory {
    private static final List<String> MECHANISMS = List.of("PLAIN", "LOGIN");
    private static final String USERNAME_PROMPT = "334 " + base64("Username:");
    private static final String PASSWORD_PROMPT = "334 " + base64("Password:");

    private final Authenticator authenticator;
    private final Sessions sessions;

    KeyAuthentication(Authenticator authenticator, Sessions sessions) {
        this.authenticator = authenticator;
        this.sessions = sessions;
    }

    @Override
    public List<String> getAuthenticationMechanisms() {
        return MECHANISMS;
    }

    @Override
    public AuthenticationHandler create() {
        return new Handler();
    }

    /** The key of an authenticated connection. */
    static Caller caller(MessageContext context) {
        return context.getAuthenticationHandler()
                .map(handler -> ((Handler) handler).caller)
                .orElseThrow(() -> new IllegalStateException("mail transaction without AUTH"));
    }

    /** One AUTH exchange: the command, then as many client lines as the mechanism asks for. */
    private final class Handler implements AuthenticationHandler {
        private String mechanism;
        private String username;
        private Caller caller;

        @Override
        public Optional<String> auth(String clientInput, MessageContext context) throws RejectException {
            String input = clientInput.strip();
            if (mechanism == null) {
                String[] words = input.split("\\s+");
                mechanism = words[1].toUpperCase(Locale.ROOT);
                Optional<String> initial = words.length > 2 ? Optional.of(words[2]) : Optional.empty();
                if (mechanism.equals("PLAIN")) {
                    return initial.isPresent() ? plain(initial.get(), context) : Optional.of("334 ");
                }
                if (initial.isEmpty()) {
                    return Optional.of(USERNAME_PROMPT);
                }
                username = decode(initial.get());
                return Optional.of(PASSWORD_PROMPT);
            }
            if (mechanism.equals("PLAIN")) {
                return plain(input, context);
            }
            if (username == null) {
                username = decode(input);
                return Optional.of(PASSWORD_PROMPT);
            }
            return verify(decode(input), context);
        }

        /** {@code [authzid] NUL authcid NUL password}: the password is the key. */
        private Optional<String> plain(String response, MessageContext context) throws RejectException {
            String[] parts = decode(response).split("\0", -1);
            if (parts.length != 3) {
                throw new RejectException(501, "5.5.2 AUTH PLAIN wants authzid NUL user NUL password");
            }
            username = parts[1];
            return verify(parts[2], context);
        }

        private Optional<String> verify(String key, MessageContext context) throws RejectException {
            String address = clientAddress(context);
            try {
                caller = authenticator.authenticate(address, Optional.of(key));
                return Optional.empty();
            } catch (Problem problem) {
                sessions.authFailed(context.getSessionId());
                throw switch (problem.status().code()) {
                    case 401 -> new RejectException(535, "5.7.8 Authentication credentials invalid");
                    case 429 -> new RejectException(454, "4.7.0 Too many failed authentications from this address; "
                                                         + "try again later");
                    default -> new RejectException(454, "4.7.0 Temporary authentication failure; try again shortly");
                };
            } catch (DatabaseUnavailableException | DatabaseBusyException e) {
                throw new RejectException(454, "4.3.0 Temporary authentication failure; try again shortly");
            }
        }

        @Override
        public Object getIdentity() {
            return username;
        }
    }

    static String clientAddress(MessageContext context) {
        return ((InetSocketAddress) context.getRemoteAddress()).getAddress().getHostAddress();
    }

    private static String decode(String base64) throws RejectException {
        try {
            return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new RejectException(501, "5.5.2 Not valid base64");
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }
}
