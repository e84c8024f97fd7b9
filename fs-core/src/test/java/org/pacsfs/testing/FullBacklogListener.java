package org.pacsfs.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A listening socket that never accepts, with its accept queue filled: Linux then drops further
 * SYNs, so a new connection neither succeeds nor is refused until the client's connect timeout.
 * That is a black-holed endpoint on the loopback interface, without depending on how the machine's
 * network treats unroutable addresses (sandboxes often answer them through a proxy). Thread-safe.
 */
public final class FullBacklogListener implements AutoCloseable {

    private final ServerSocket listener;
    private final List<Socket> fillers;

    private FullBacklogListener(ServerSocket listener, List<Socket> fillers) {
        this.listener = listener;
        this.fillers = fillers;
    }

    /** A listener whose queue is full, or empty if this kernel completes or refuses further connections. */
    public static Optional<FullBacklogListener> open() throws IOException {
        var listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
        var fillers = new ArrayList<Socket>();
        for (int i = 0; i < 16; i++) {
            var filler = new Socket();
            try {
                filler.connect(listener.getLocalSocketAddress(), 300);
                fillers.add(filler);
            } catch (SocketTimeoutException full) {
                filler.close();
                return Optional.of(new FullBacklogListener(listener, fillers));
            } catch (IOException refused) {
                filler.close();
                break;
            }
        }
        for (Socket s : fillers) {
            s.close();
        }
        listener.close();
        return Optional.empty();
    }

    /** {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    @Override
    public void close() throws IOException {
        for (Socket s : fillers) {
            s.close();
        }
        listener.close();
    }
}
