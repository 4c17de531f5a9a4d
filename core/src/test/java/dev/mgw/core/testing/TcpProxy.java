package dev.mgw.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy that a test can cut and restore: the way to make a shared server (the
 * PostgreSQL of the machine, an SMTP relay) unreachable for one component without stopping it.
 * Cutting resets every open connection and every new one until {@link #restore()}; stalling
 * leaves new connections open and silent, as a hung server does; silencing keeps every
 * connection open and drops the bytes, as a network that loses packets does.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final String targetHost;
    private final int targetPort;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private volatile boolean stalled;
    private volatile boolean silent;
    private final AtomicInteger accepted = new AtomicInteger();

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tcp-proxy-" + port()).start(this::acceptLoop);
    }

    public static TcpProxy to(String host, int port) {
        try {
            return new TcpProxy(host, port);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a proxy port", e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Connections accepted so far (forwarded, refused or stalled). */
    public int acceptedConnections() {
        return accepted.get();
    }

    /** Resets all connections through the proxy and refuses new ones. */
    public void cut() {
        cut = true;
        sockets.forEach(TcpProxy::reset);
        sockets.clear();
    }

    /**
     * Drops the open connections, then accepts new ones and leaves them silent: the peer sees a
     * server that never answers, and cannot dodge it on a connection it opened before.
     */
    public void stall() {
        stalled = true;
        sockets.forEach(TcpProxy::reset);
        sockets.clear();
    }

    /**
     * A silent network: every connection stays open and the bytes sent either way are dropped;
     * new connections are accepted, made upstream and silent too. A peer learns of it only by a
     * time-out (or when the other side closes its end, which still passes). After
     * {@link #restore()} the bytes flow again, but what was dropped stays lost: a peer that still
     * waits for the answer to something it sent meanwhile waits in vain.
     */
    public void silence() {
        silent = true;
    }

    /** Back to forwarding (after {@link #cut()}, {@link #stall()} or {@link #silence()}). */
    public void restore() {
        cut = false;
        stalled = false;
        silent = false;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            if (cut) {
                reset(client);
                continue;
            }
            if (stalled) {
                sockets.add(client);
                continue;
            }
            Thread.ofVirtual().start(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket upstream;
        try {
            upstream = new Socket(targetHost, targetPort);
        } catch (IOException e) {
            reset(client);
            return;
        }
        sockets.add(client);
        sockets.add(upstream);
        if (cut || stalled) {
            // cut or stalled while this connection was being made: cut() may have missed it
            reset(client);
            reset(upstream);
            return;
        }
        Thread.ofVirtual().start(() -> pipe(client, upstream));
        Thread.ofVirtual().start(() -> pipe(upstream, client));
    }

    private void pipe(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                if (!silent) {
                    out.write(buffer, 0, read);
                    out.flush();
                }
            }
        } catch (IOException ignored) {
            // one side went away: close both
        } finally {
            close(from);
            close(to);
        }
    }

    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // already closed
        }
        close(socket);
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
    }

    @Override
    public void close() {
        cut();
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
