package org.pacsfs.core.store.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Finds a TCP port that is free on the loopback interface right now (another process may take it before we bind it). */
final class FreePort {
    private FreePort() {}

    static int pick() {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on the loopback interface", e);
        }
    }
}
