package org.pacsfs.fuse.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.snapshots.Labels;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.CountingObjectStore.Outcome;
import org.pacsfs.core.store.StoreOperation;

class MetricsServerTest {

    private static final Labels MOUNT = Labels.of("location", "s3://b/p", "mountpoint", "/mnt/pacs", "read_only", "false");

    static MountFigures figures(long unshippedBytes, String lease, String shipper) {
        Map<StoreOperation, Map<Outcome, Long>> requests = new EnumMap<>(StoreOperation.class);
        requests.put(StoreOperation.PUT, Map.of(Outcome.OK, 12L, Outcome.TRANSIENT, 3L));
        requests.put(StoreOperation.GET, Map.of(Outcome.OK, 5L, Outcome.NOT_FOUND, 1L));
        MountFigures.Cache cache = new MountFigures.Cache(40, 10, 6, 4, 1000, 256 << 20, 2000, 10L << 30, 7, 1);
        return new MountFigures(unshippedBytes, 9, 42, 1 << 20, 4L << 30, lease, 2, 55L, shipper, 3, 4, 11, 123_456, 17, 1,
                requests, Map.of(StoreOperation.PUT, 123_456L, StoreOperation.GET, 789L), cache, 100, 5_000_000);
    }

    @Test
    void servesEveryFigureInThePrometheusTextFormat() throws Exception {
        try (MetricsServer server = MetricsServer.start(0, new PacsfsCollector(() -> figures(4096, "held", "retrying"), MOUNT))) {
            String text = scrape(server.port());
            Map<String, Double> m = parse(text);
            assertThat(m).containsEntry("pacsfs_unshipped_bytes", 4096.0)
                    .containsEntry("pacsfs_unshipped_records", 9.0)
                    .containsEntry("pacsfs_oldest_unshipped_age_seconds", 42.0)
                    .containsEntry("pacsfs_write_log_bytes", (double) (1 << 20))
                    .containsEntry("pacsfs_write_log_capacity_bytes", (double) (4L << 30))
                    .containsEntry("pacsfs_lease_state{state=\"held\"}", 1.0)
                    .containsEntry("pacsfs_lease_state{state=\"lost\"}", 0.0)
                    .containsEntry("pacsfs_lease_state{state=\"none\"}", 0.0)
                    .containsEntry("pacsfs_lease_renewal_failures", 2.0)
                    .containsEntry("pacsfs_lease_expires_in_seconds", 55.0)
                    .containsEntry("pacsfs_shipper_state{state=\"retrying\"}", 1.0)
                    .containsEntry("pacsfs_shipper_state{state=\"idle\"}", 0.0)
                    .containsEntry("pacsfs_shipper_retries_total", 3.0)
                    .containsEntry("pacsfs_read_retries_total", 4.0)
                    .containsEntry("pacsfs_chunks_uploaded_total", 11.0)
                    .containsEntry("pacsfs_uploaded_bytes_total", 123_456.0)
                    .containsEntry("pacsfs_log_segments", 17.0)
                    .containsEntry("pacsfs_s3_requests_total{operation=\"put\",outcome=\"ok\"}", 12.0)
                    .containsEntry("pacsfs_s3_requests_total{operation=\"put\",outcome=\"transient\"}", 3.0)
                    .containsEntry("pacsfs_s3_requests_total{operation=\"get\",outcome=\"not_found\"}", 1.0)
                    .containsEntry("pacsfs_s3_requests_total{operation=\"list\",outcome=\"permanent\"}", 0.0)
                    .containsEntry("pacsfs_s3_bytes_total{operation=\"put\"}", 123_456.0)
                    .containsEntry("pacsfs_s3_bytes_total{operation=\"get\"}", 789.0)
                    .containsEntry("pacsfs_cache_hits_total{tier=\"memory\"}", 40.0)
                    .containsEntry("pacsfs_cache_misses_total{tier=\"memory\"}", 10.0)
                    .containsEntry("pacsfs_cache_hits_total{tier=\"disk\"}", 6.0)
                    .containsEntry("pacsfs_cache_misses_total{tier=\"disk\"}", 4.0)
                    .containsEntry("pacsfs_cache_bytes{tier=\"disk\"}", 2000.0)
                    .containsEntry("pacsfs_cache_capacity_bytes{tier=\"memory\"}", (double) (256 << 20))
                    .containsEntry("pacsfs_files", 100.0)
                    .containsEntry("pacsfs_stored_bytes", 5_000_000.0);
            // Every operation x outcome pair is there from the start, so rate() works from the first error on.
            assertThat(m.keySet().stream().filter(k -> k.startsWith("pacsfs_s3_requests_total{"))).hasSize(
                    StoreOperation.values().length * Outcome.values().length);
            assertThat(text).contains("# TYPE pacsfs_s3_requests_total counter", "# TYPE pacsfs_unshipped_bytes gauge",
                    "pacsfs_mount_info{location=\"s3://b/p\",mountpoint=\"/mnt/pacs\",read_only=\"false\"} 1");
        }
    }

    @Test
    void readsTheFiguresAtEveryScrape() throws Exception {
        AtomicReference<MountFigures> now = new AtomicReference<>();
        try (MetricsServer server = MetricsServer.start(0, new PacsfsCollector(now::get, MOUNT))) {
            Map<String, Double> before = parse(scrape(server.port()));
            assertThat(before).containsKey("pacsfs_mount_info{location=\"s3://b/p\",mountpoint=\"/mnt/pacs\",read_only=\"false\"}")
                    .doesNotContainKey("pacsfs_unshipped_bytes");
            now.set(figures(100, "held", "shipping"));
            assertThat(parse(scrape(server.port()))).containsEntry("pacsfs_unshipped_bytes", 100.0);
            now.set(figures(0, "lost", "stopped"));
            assertThat(parse(scrape(server.port()))).containsEntry("pacsfs_unshipped_bytes", 0.0)
                    .containsEntry("pacsfs_lease_state{state=\"lost\"}", 1.0)
                    .containsEntry("pacsfs_lease_state{state=\"held\"}", 0.0)
                    .containsEntry("pacsfs_shipper_state{state=\"stopped\"}", 1.0);
        }
    }

    @Test
    void aFailingReadingServesTheInfoRatherThanAnError() throws Exception {
        try (MetricsServer server = MetricsServer.start(0, new PacsfsCollector(() -> {
            throw new IllegalStateException("closed");
        }, MOUNT))) {
            assertThat(parse(scrape(server.port()))).hasSize(1);
        }
    }

    @Test
    void listensOnLoopbackOnly() throws Exception {
        try (MetricsServer server = MetricsServer.start(0, new PacsfsCollector(() -> null, MOUNT))) {
            assertThat(server.url()).isEqualTo("http://127.0.0.1:" + server.port() + "/metrics");
            Optional<InetAddress> external = nonLoopbackAddress();
            if (external.isPresent()) {
                try (Socket s = new Socket()) {
                    assertThatThrownBy(() -> s.connect(new InetSocketAddress(external.get(), server.port()), 2000))
                            .isInstanceOf(ConnectException.class);
                }
            }
        }
    }

    @Test
    void aPortInUseFailsAndABadPortIsRefused() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> MetricsServer.start(taken.getLocalPort(), new PacsfsCollector(() -> null, MOUNT)))
                    .isInstanceOf(IOException.class);
        }
        assertThatThrownBy(() -> MetricsServer.start(70000, new PacsfsCollector(() -> null, MOUNT)))
                .hasMessageContaining("0..65535");
    }

    static Optional<InetAddress> nonLoopbackAddress() throws IOException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        return Optional.of(a);
                    }
                }
            }
        }
        return Optional.empty();
    }

    static String scrape(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
        return r.body();
    }

    /** Sample lines of the text format: "name{labels}" -> value. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> m = new HashMap<>();
        Matcher line = Pattern.compile("(?m)^([a-z0-9_]+(?:\\{[^}]*\\})?) (\\S+)$").matcher(text);
        while (line.find()) {
            m.put(line.group(1), Double.parseDouble(line.group(2)));
        }
        return m;
    }
}
