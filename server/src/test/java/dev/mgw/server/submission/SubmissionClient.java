package dev.mgw.server.submission;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import javax.net.ssl.SSLSocketFactory;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/** Angus Mail against the submission listener (STARTTLS required, the self-signed certificate trusted), and a raw line client. */
final class SubmissionClient {
    private final int port;

    SubmissionClient(int port) {
        this.port = port;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Session session() {
        return session(null);
    }

    /** {@code localAddress}: the client's own address (another loopback address keeps a throttle test to itself). */
    Session session(String localAddress) {
        Properties properties = properties();
        properties.setProperty("mail.smtp.ssl.trust", "*");
        if (localAddress != null) {
            properties.setProperty("mail.smtp.localaddress", localAddress);
        }
        return Session.getInstance(properties);
    }

    /**
     * A session whose STARTTLS goes through {@code tls} (and nothing else decides whom it trusts),
     * as a client that keeps its TLS sessions between connections does.
     */
    Session resumingSession(SSLSocketFactory tls) {
        Properties properties = properties();
        properties.put("mail.smtp.ssl.socketFactory", tls);
        return Session.getInstance(properties);
    }

    /** Where the listener is, AUTH over STARTTLS required, the self-signed certificate's name not checked. */
    private Properties properties() {
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.host", "127.0.0.1");
        properties.setProperty("mail.smtp.port", String.valueOf(port));
        properties.setProperty("mail.smtp.auth", "true");
        properties.setProperty("mail.smtp.starttls.enable", "true");
        properties.setProperty("mail.smtp.starttls.required", "true");
        properties.setProperty("mail.smtp.ssl.checkserveridentity", "false");
        properties.setProperty("mail.smtp.connectiontimeout", "5000");
        properties.setProperty("mail.smtp.timeout", "10000");
        return properties;
    }

    /** A connected, authenticated transport: close it when done. */
    SMTPTransport connect(Session session, String key) throws MessagingException {
        SMTPTransport transport = (SMTPTransport) session.getTransport("smtp");
        transport.connect("127.0.0.1", port, "apikey", key);
        return transport;
    }

    /** Sends one message on its own connection; returns the final reply ({@code 250 2.0.0 Ok: queued as …}). */
    String send(String key, MimeMessage message, String... recipients) throws MessagingException {
        try (SMTPTransport transport = connect(message.getSession() == null ? session() : message.getSession(), key)) {
            return send(transport, message, recipients);
        }
    }

    static String send(SMTPTransport transport, MimeMessage message, String... recipients) throws MessagingException {
        Address[] addresses = new Address[recipients.length];
        for (int i = 0; i < recipients.length; i++) {
            addresses[i] = new InternetAddress(recipients[i]);
        }
        transport.sendMessage(message, addresses);
        return transport.getLastServerResponse().strip();
    }

    /** A message exactly as given (CRLF line ends), without the Message-ID and Date Jakarta Mail would add. */
    MimeMessage raw(String text) throws MessagingException {
        return new MimeMessage(session(), new ByteArrayInputStream(text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8)));
    }

    /** A plain-text line conversation: each command's complete reply (multi-line replies joined by \n). */
    final class Lines implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        Lines() throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
        }

        String reply() throws IOException {
            StringBuilder reply = new StringBuilder();
            String line;
            do {
                line = in.readLine();
                if (line == null) {
                    return reply.isEmpty() ? null : reply.toString();
                }
                reply.append(reply.isEmpty() ? "" : "\n").append(line);
            } while (line.length() > 3 && line.charAt(3) == '-');
            return reply.toString();
        }

        String command(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
