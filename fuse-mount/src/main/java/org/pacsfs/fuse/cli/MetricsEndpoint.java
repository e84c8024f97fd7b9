package org.pacsfs.fuse.cli;

import io.prometheus.metrics.model.snapshots.Labels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.pacsfs.fuse.metrics.MetricsServer;
import org.pacsfs.fuse.metrics.MountFigures;
import org.pacsfs.fuse.metrics.PacsfsCollector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code pacsfs mount --metrics-port}: the endpoint is bound before the bucket is contacted (a port in use fails the
 * mount at once), serves only the mount's info until the filesystem is open ({@link #serve}), and is closed after the
 * filesystem, so that a drain at unmount can be watched. Without the option it is inert (no port is opened).
 */
final class MetricsEndpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final MetricsServer server;
    private final AtomicReference<Supplier<MountFigures>> figures;

    private MetricsEndpoint(MetricsServer server, AtomicReference<Supplier<MountFigures>> figures) {
        this.server = server;
        this.figures = figures;
    }

    static void checkPort(Integer port) throws CliException {
        if (port != null && (port < 0 || port > MetricsServer.MAX_PORT)) {
            throw new CliException("--metrics-port must be 0 (a free port) .. " + MetricsServer.MAX_PORT + ", got " + port);
        }
    }

    /** Starts the endpoint, or an inert one if {@code port} is null. */
    static MetricsEndpoint start(Integer port, S3Location location, Path mountPoint, boolean readOnly) throws CliException {
        checkPort(port);
        AtomicReference<Supplier<MountFigures>> figures = new AtomicReference<>();
        if (port == null) {
            return new MetricsEndpoint(null, figures);
        }
        Labels labels = Labels.of("location", location.toString(), "mountpoint", mountPoint.toString(),
                "read_only", String.valueOf(readOnly));
        PacsfsCollector collector = new PacsfsCollector(() -> {
            Supplier<MountFigures> s = figures.get();
            return s == null ? null : s.get();
        }, labels);
        MetricsServer server;
        try {
            server = MetricsServer.start(port, collector);
        } catch (IOException e) {
            throw new CliException("--metrics-port " + port + ": cannot listen on 127.0.0.1:" + port + " (" + e
                    + "); choose a free port, or 0 for any free port");
        }
        LOG.info("Prometheus metrics at {}", server.url());
        System.out.println("pacsfs: metrics at " + server.url());
        return new MetricsEndpoint(server, figures);
    }

    /** From now on a scrape reads {@code source}. */
    void serve(Supplier<MountFigures> source) {
        figures.set(source);
    }

    /** The scrape URL, or null when the endpoint is off. */
    String url() {
        return server == null ? null : server.url();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
