package org.pacsfs.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * An endpoint that accepts TCP connections and then never answers: what an overloaded server or a
 * stuck proxy looks like. A request to it can only end by the client's request timeout. Thread-safe.
 */
public final class SilentServer implements AutoCloseable {

    private final ServerSocket socket;
    private final List<Socket> accepted = new ArrayList<>();
    private final Thread acceptor;

    private SilentServer(ServerSocket socket) {
        this.socket = socket;
        this.acceptor = new Thread(this::acceptForever, "silent-server-" + socket.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static SilentServer start() {
        try {
            return new SilentServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on the loopback interface", e);
        }
    }

    /** {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }

    @Override
    public void close() throws IOException {
        socket.close();
        synchronized (accepted) {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    private void acceptForever() {
        try {
            while (true) {
                Socket s = socket.accept();
                synchronized (accepted) {
                    accepted.add(s); // hold it open, read nothing, write nothing
                }
            }
        } catch (SocketException closed) {
            // close() was called
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
