package dev.mgw.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.mgw.server.Await;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sockets HttpConnections remembers for their connections do not pile up. */
class HttpConnectionsIT {
    private static final int CLIENTS = 300;

    @Test
    void socketsThatNeverSendARequestAreNotKeptForever() throws Exception {
        HttpConnections connections = new HttpConnections(Http1Config.create());
        WebServer server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .connectionOptions(connections.socketOptions())
                .protocolsDiscoverServices(false)
                .addConnectionSelector(connections)
                .routing(routing -> routing.get("/", (req, res) -> res.send("ok")))
                .build()
                .start();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                // a port scan, a health probe that only connects, a client that gives up
                try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                }
            }
            assertEquals("HTTP/1.1 200 OK", statusLine(server.port()), "the server still serves");
            // each connection's end is handled on its own thread, the last ones perhaps after this
            // test's own request was answered: none may be left once they have been
            Await.until("no socket remembered after " + CLIENTS + " connections without a request",
                        Duration.ofSeconds(5), () -> connections.rememberedSockets() == 0);
        } finally {
            server.stop();
        }
    }

    private static String statusLine(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c >= 0 && c != '\r'; c = in.read()) {
                line.append((char) c);
            }
            return line.toString();
        }
    }
}
