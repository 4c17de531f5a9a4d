package dev.mgw.server.api;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.Bytes;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

/**
 * The gateway's HTTP/1 connections (the listener's only connection selector): Helidon's own, with
 * what SPEC §5 needs and Helidon 4.5 lacks. HTTP/1.0 requests are served (as HTTP/1.1 with
 * {@code Connection: close}, without the Host header HTTP/1.0 does not require) where Helidon
 * drops them unanswered; chunk extensions are ignored ({@link ConnectionReader}); and the client
 * and socket of a connection are known on its thread ({@link #client()}): for the access line of
 * a request refused before routing, and for {@link BodyDeadline} to stop a stalled body without
 * closing the connection its 408 goes out on. The sockets come from {@link #socketOptions()},
 * which the listener applies to every socket it accepts. Anything but an HTTP/1.0 or 1.1 request
 * line is dropped without an answer, as Helidon does.
 */
public final class HttpConnections implements ServerConnectionSelector {
    private static final ThreadLocal<Client> CLIENT = new ThreadLocal<>();
    private static final String HTTP_1_0 = " HTTP/1.0";
    private static final String HTTP_1_1 = " HTTP/1.1";

    private final Http1ConnectionSelector http11;
    private final Http1ConnectionSelector http10;
    private final int maxRequestLine;
    /** Sockets accepted and not yet taken by their connection's thread, by client address. */
    private final Map<SocketAddress, SocketChannel> accepted = new ConcurrentHashMap<>();

    /** Sockets remembered for connections that have not started yet (tests). */
    int rememberedSockets() {
        return accepted.size();
    }

    /** The client of the connection the current thread serves, and its socket. */
    public record Client(String address, Optional<SocketChannel> channel) {
    }

    public HttpConnections(Http1Config config) {
        this.http11 = Http1ConnectionSelector.builder().config(config).build();
        this.http10 = Http1ConnectionSelector.builder().config(withoutHostHeader(config)).build();
        this.maxRequestLine = config.maxPrologueLength();
    }

    /** The client of the connection this thread serves; empty outside a connection's thread. */
    public static Optional<Client> client() {
        return Optional.ofNullable(CLIENT.get());
    }

    /** Helidon's default socket options, remembering each accepted socket for its connection. */
    public SocketOptions socketOptions() {
        return new AcceptedSockets(SocketOptions.create());
    }

    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData data) {
        int lf = data.indexOf(Bytes.LF_BYTE);
        if (lf < 0) {
            return data.available() <= maxRequestLine ? Support.SUPPORTED : Support.UNSUPPORTED;
        }
        String line = data.readString(lf, StandardCharsets.US_ASCII);
        return line.endsWith(HTTP_1_1 + "\r") || line.endsWith(HTTP_1_0 + "\r") ? Support.SUPPORTED : Support.UNSUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return Set.of("http/1.1");
    }

    /** Runs on the new connection's own thread, which then serves all its requests. */
    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        SocketAddress peer = ctx.remotePeer().address();
        CLIENT.set(new Client(hostAddress(peer), Optional.ofNullable(accepted.remove(peer))));
        DataReader socket = ctx.dataReader();
        int end;
        try {
            end = socket.findNewLine(maxRequestLine);
        } catch (DataReader.InsufficientDataAvailableException | DataReader.IncorrectNewLineException e) {
            throw new CloseConnectionException("no HTTP/1 request line", e);
        }
        if (end == maxRequestLine) {
            // Helidon answers a request line that is too long
            return http11.connection(new Context(ctx, new ConnectionReader(socket, new byte[0])));
        }
        String line = socket.getBuffer(end).readString(end, StandardCharsets.US_ASCII);
        if (line.endsWith(HTTP_1_1)) {
            return http11.connection(new Context(ctx, new ConnectionReader(socket, new byte[0])));
        }
        if (!line.endsWith(HTTP_1_0)) {
            throw new CloseConnectionException("not an HTTP/1 request line");
        }
        socket.skip(end + 2);
        String asHttp11 = line.substring(0, line.length() - HTTP_1_0.length()) + HTTP_1_1 + "\r\nConnection: close\r\n";
        return http10.connection(new Context(ctx, new ConnectionReader(socket, asHttp11.getBytes(StandardCharsets.US_ASCII))));
    }

    @SuppressWarnings("removal") // HTTP/1.0 has no Host header to require; the switch is deprecated, not yet replaced
    private static Http1Config withoutHostHeader(Http1Config config) {
        return Http1Config.builder().from(config).validateRequestHostHeader(false).build();
    }

    private static String hostAddress(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(address);
    }

    /** The connection as Helidon made it, reading through a {@link ConnectionReader}. */
    private record Context(ConnectionContext connection, DataReader reader) implements ConnectionContext {
        @Override
        public DataReader dataReader() {
            return reader;
        }

        @Override
        public ListenerContext listenerContext() {
            return connection.listenerContext();
        }

        @Override
        public ExecutorService executor() {
            return connection.executor();
        }

        @Override
        public DataWriter dataWriter() {
            return connection.dataWriter();
        }

        @Override
        public Router router() {
            return connection.router();
        }

        @Override
        public Optional<ProxyProtocolData> proxyProtocolData() {
            return connection.proxyProtocolData();
        }

        @Override
        public HelidonSocket serverSocket() {
            return connection.serverSocket();
        }

        @Override
        public PeerInfo remotePeer() {
            return connection.remotePeer();
        }

        @Override
        public PeerInfo localPeer() {
            return connection.localPeer();
        }

        @Override
        public boolean isSecure() {
            return connection.isSecure();
        }

        @Override
        public String socketId() {
            return connection.socketId();
        }

        @Override
        public String childSocketId() {
            return connection.childSocketId();
        }
    }

    /** Helidon's socket options, and each accepted socket remembered for its connection. */
    private final class AcceptedSockets implements SocketOptions {
        private final SocketOptions options;

        AcceptedSockets(SocketOptions options) {
            this.options = options;
        }

        @Override
        public void configureSocket(SocketChannel socket) {
            options.configureSocket(socket);
            try {
                accepted.put(socket.getRemoteAddress(), socket);
            } catch (IOException e) {
                // the client is gone already; its connection ends at its first read
            }
        }

        @Override
        public void configureSocket(Socket socket) {
            options.configureSocket(socket);
        }

        @Override
        public Map<SocketOption<?>, Object> socketOptions() {
            return options.socketOptions();
        }

        @Override
        public Duration connectTimeout() {
            return options.connectTimeout();
        }

        @Override
        public Duration readTimeout() {
            return options.readTimeout();
        }

        @Override
        public Optional<Integer> socketReceiveBufferSize() {
            return options.socketReceiveBufferSize();
        }

        @Override
        public Optional<Integer> socketSendBufferSize() {
            return options.socketSendBufferSize();
        }

        @Override
        public boolean socketReuseAddress() {
            return options.socketReuseAddress();
        }

        @Override
        public boolean socketKeepAlive() {
            return options.socketKeepAlive();
        }

        @Override
        public boolean tcpNoDelay() {
            return options.tcpNoDelay();
        }
    }
}
