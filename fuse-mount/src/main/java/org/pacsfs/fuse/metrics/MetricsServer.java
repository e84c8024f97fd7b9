package org.pacsfs.fuse.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The Prometheus endpoint of a mount: {@code http://127.0.0.1:PORT/metrics} in the Prometheus text format. Bound to
 * the loopback address only: the figures are not secret, but a storage host should not open a port to the network
 * for them (scrape through a local agent, or a reverse proxy with authentication). One small thread pool; a scrape
 * reads the figures at that moment. Close it to free the port.
 */
public final class MetricsServer implements AutoCloseable {

    /** The highest port number; 0 asks the kernel for a free port. */
    public static final int MAX_PORT = 65535;

    private final HTTPServer server;

    private MetricsServer(HTTPServer server) {
        this.server = server;
    }

    /**
     * Binds 127.0.0.1:{@code port} (0: a free port, see {@link #port()}) and serves {@code collector} at /metrics.
     *
     * @throws IOException if the port cannot be bound (in use, or below 1024 without the right)
     */
    public static MetricsServer start(int port, MultiCollector collector) throws IOException {
        if (port < 0 || port > MAX_PORT) {
            throw new IllegalArgumentException("port must be 0.." + MAX_PORT + ", got " + port);
        }
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(collector);
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "pacsfs-metrics");
            t.setDaemon(true);
            return t;
        });
        try {
            return new MetricsServer(HTTPServer.builder().inetAddress(InetAddress.getLoopbackAddress()).port(port)
                    .registry(registry).executorService(threads).buildAndStart());
        } catch (IOException | RuntimeException e) {
            threads.shutdownNow();
            throw e;
        }
    }

    /** The bound port (the chosen one when started with 0). */
    public int port() {
        return server.getPort();
    }

    /** Where to scrape. */
    public String url() {
        return "http://127.0.0.1:" + port() + "/metrics";
    }

    @Override
    public void close() {
        server.close();
    }
}
