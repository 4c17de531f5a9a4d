package dev.mgw.server.submission;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.mgw.core.Version;
import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.messages.Outbox;
import dev.mgw.server.api.ApiService;
import dev.mgw.server.api.BodyBudget;
import dev.mgw.server.auth.Authenticator;

import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.internal.server.Command;
import org.subethamail.smtp.internal.server.CommandRegistry;
import org.subethamail.smtp.internal.server.HelpMessage;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

/**
 * The SMTP submission listener (SPEC §13, SubEthaSMTP): on {@code SMTP_SUBMISSION_PORT} inside
 * the gateway process, one virtual thread per connection. ESMTP with {@code SIZE}
 * ({@code MAX_REQUEST_SIZE}), {@code 8BITMIME}, {@code PIPELINING} and {@code STARTTLS};
 * {@code AUTH PLAIN LOGIN} only after STARTTLS unless {@code SMTP_SUBMISSION_ALLOW_INSECURE_AUTH};
 * mail only after AUTH ({@code 530 5.7.0}). At most {@code SMTP_SUBMISSION_MAX_CONNECTIONS}
 * connections, {@value Sessions#MAX_MESSAGES} messages on each, {@value #IDLE_SECONDS} s idle,
 * {@value SessionStreams#LIMIT} bad commands; then {@code 421} and the connection closes.
 */
public final class SubmissionListener implements MessageSubmission.Listener, AutoCloseable {
    static final int IDLE_SECONDS = 60;
    private static final System.Logger LOG = System.getLogger(SubmissionListener.class.getName());

    private final GatewayConfig config;
    private final Outbox outbox;
    private final BodyBudget bodyBudget;
    private final SuppressionCheck suppressions;
    private final ApiService.SendListener sends;
    private final Clock clock;
    private final Sessions sessions;
    private final Set<String> allowedFromDomains;
    private final Set<String> allowDomains;
    private final ExecutorService connections = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("smtp-submission-", 0).factory());
    private final SMTPServer server;
    private volatile boolean running;

    /** {@code sessionEnded} is told the result of every connection that ends ({@link Sessions}). */
    public SubmissionListener(GatewayConfig config, Authenticator authenticator, Outbox outbox, BodyBudget bodyBudget,
                              SuppressionCheck suppressions, ApiService.SendListener sends, Clock clock,
                              Consumer<String> sessionEnded) {
        this.config = config;
        this.outbox = outbox;
        this.bodyBudget = bodyBudget;
        this.suppressions = suppressions;
        this.sends = sends;
        this.clock = clock;
        this.sessions = new Sessions(sessionEnded);
        this.allowedFromDomains = Set.copyOf(config.allowedFromDomains());
        this.allowDomains = Set.copyOf(config.allowDomains());
        GatewayConfig.Submission settings = config.submission();
        String hostName = hostName();
        SubmissionTls tls = SubmissionTls.of(settings, hostName);
        SessionStreams streams = new SessionStreams(tls);
        this.server = SMTPServer.port(settings.port().orElseThrow())
                .bindAddress(bindAddress(config.server().host()))
                .hostName(hostName)
                .softwareName("mail-gateway " + Version.get())
                .executorService(connections)
                .messageHandlerFactory(this::transaction)
                .authenticationHandlerFactory(new KeyAuthentication(authenticator, sessions))
                .requireAuth()
                .enableTLS()
                .requireTLS(!settings.allowInsecureAuth())
                .startTlsSocketFactory(streams::startTls)
                .sessionHandler(streams.around(sessions))
                .insertReceivedHeaders(false)
                .maxConnections(settings.maxConnections())
                .connectionTimeout(IDLE_SECONDS, TimeUnit.SECONDS)
                // checked per RCPT with the SPEC's reply (452 4.5.3); this is only a backstop
                .maxRecipients(-1)
                .maxMessageSize((int) Math.min(Integer.MAX_VALUE, config.maxRequestSize()))
                .build();
        server.getCommandHandler().addCommand(new Ehlo());
        server.getCommandHandler().addCommand(new EndingData(CommandRegistry.DATA.getCommand()));
    }

    private MessageHandler transaction(MessageContext context) {
        return new MessageSubmission(this, context);
    }

    public void start() {
        server.start();
        running = true;
        LOG.log(System.Logger.Level.INFO, "SMTP submission listening on " + config.server().host() + ":" + port()
                                          + (config.submission().allowInsecureAuth()
                                                     ? " (AUTH before STARTTLS allowed: development only)" : ""));
    }

    /** Whether the listener accepts connections (part of readiness when it is configured). */
    public boolean running() {
        return running && server.isRunning();
    }

    /** The port bound. */
    public int port() {
        return server.getPortAllocated();
    }

    /** Stops accepting, then closes the open connections (a DATA being stored finishes first or is not answered). */
    @Override
    public void close() {
        running = false;
        server.stop();
        connections.shutdownNow();
    }

    @Override
    public Set<String> allowedFromDomains() {
        return allowedFromDomains;
    }

    @Override
    public Set<String> allowDomains() {
        return allowDomains;
    }

    @Override
    public long maxMessageSize() {
        return config.maxRequestSize();
    }

    @Override
    public SuppressionCheck suppressions() {
        return suppressions;
    }

    @Override
    public Outbox outbox() {
        return outbox;
    }

    @Override
    public BodyBudget bodyBudget() {
        return bodyBudget;
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public Sessions sessions() {
        return sessions;
    }

    @Override
    public ApiService.SendListener sends() {
        return sends;
    }

    private static InetAddress bindAddress(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("SMTP submission: cannot bind to " + host + ": " + e.getMessage(), e);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /**
     * EHLO as SPEC §13 has it: SubEthaSMTP's own offers CHUNKING and SMTPUTF8 and leaves
     * PIPELINING out (its command loop reads pipelined commands one at a time all the same).
     */
    private static final class Ehlo implements Command {
        @Override
        public void execute(String commandString, Session session) throws IOException {
            String[] args = commandString.strip().split("\\s+");
            if (args.length < 2) {
                session.sendResponse("501 5.5.4 Syntax: EHLO hostname");
                return;
            }
            session.resetMailTransaction();
            session.setHelo(args[1]);
            SMTPServer server = session.getServer();
            StringBuilder reply = new StringBuilder("250-").append(server.getHostName());
            reply.append("\r\n250-SIZE ").append(server.getMaxMessageSize());
            reply.append("\r\n250-8BITMIME\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES");
            if (!session.isTLSStarted()) {
                reply.append("\r\n250-STARTTLS");
            }
            if (session.isTLSStarted() || !server.getRequireTLS()) {
                List<String> mechanisms = server.getAuthenticationHandlerFactory().orElseThrow()
                        .getAuthenticationMechanisms();
                reply.append("\r\n250-AUTH ").append(String.join(" ", mechanisms));
            }
            reply.append("\r\n250 Ok");
            session.sendResponse(reply.toString());
        }

        @Override
        public HelpMessage getHelp() {
            return new HelpMessage("EHLO", "Introduce yourself.", "<hostname>");
        }

        @Override
        public String getName() {
            return "EHLO";
        }
    }

    /**
     * DATA, ending the mail transaction however the message fared: SubEthaSMTP keeps a transaction
     * whose DATA was refused open, so that the client's next MAIL would get {@code 503}.
     */
    private record EndingData(Command data) implements Command {
        @Override
        public void execute(String commandString, Session session) throws IOException,
                org.subethamail.smtp.DropConnectionException {
            MessageHandler before = session.getMessageHandler();
            data.execute(commandString, session);
            if (before instanceof MessageSubmission transaction && transaction.dataRead()
                && session.getMessageHandler() == before) {
                session.resetMailTransaction();
            }
        }

        @Override
        public HelpMessage getHelp() throws org.subethamail.smtp.internal.server.CommandException {
            return data.getHelp();
        }

        @Override
        public String getName() {
            return data.getName();
        }
    }
}
