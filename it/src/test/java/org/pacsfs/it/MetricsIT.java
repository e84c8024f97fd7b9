package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * The Prometheus endpoint of a real mount ({@code pacsfs mount --metrics-port 0} as a child process over S3Proxy):
 * writes through the mount move the S3 request and upload counters, unshipped bytes go back to 0 once shipped, the
 * lease gauge says held, {@code pacsfs status} shows the same figures, the port listens on 127.0.0.1 only and is gone
 * after unmount; and a mount without the option opens no port at all.
 */
@WithS3Proxy
@Timeout(180)
class MetricsIT {

    private static final Pattern URL = Pattern.compile("pacsfs: metrics at (http://127\\.0\\.0\\.1:(\\d+)/metrics)");

    @Test
    void aMountServesItsFiguresOnLoopbackAndAMountWithoutTheOptionOpensNoPort(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("metrics");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        int port;
        try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create", "--metrics-port", "0")) {
            Matcher m = URL.matcher(mount.log());
            assertThat(m.find()).as("the mount prints where its metrics are:\n%s", mount.log()).isTrue();
            String url = m.group(1);
            port = Integer.parseInt(m.group(2));

            assertThat(listeningSockets(mount.process.pid())).as("the mount's listening sockets").containsExactly("127.0.0.1:" + port);
            externalAddress().ifPresent(a -> assertRefused(a, port));

            Map<String, Double> before = scrape(url);
            assertThat(before).containsEntry("pacsfs_lease_state{state=\"held\"}", 1.0)
                    .containsEntry("pacsfs_lease_state{state=\"lost\"}", 0.0);
            long written = writeFiles(mnt, 12, 200_000);

            Map<String, Double> shipped = awaitScrape(url, s -> s.get("pacsfs_unshipped_bytes") == 0.0
                    && s.get("pacsfs_uploaded_bytes_total") >= written, Duration.ofSeconds(60));
            assertThat(shipped.get("pacsfs_s3_requests_total{operation=\"put\",outcome=\"ok\"}"))
                    .isGreaterThan(before.get("pacsfs_s3_requests_total{operation=\"put\",outcome=\"ok\"}"));
            assertThat(shipped.get("pacsfs_s3_bytes_total{operation=\"put\"}")).isGreaterThanOrEqualTo((double) written);
            assertThat(shipped.get("pacsfs_chunks_uploaded_total")).isPositive();
            assertThat(shipped).containsEntry("pacsfs_unshipped_records", 0.0)
                    .containsEntry("pacsfs_oldest_unshipped_age_seconds", 0.0)
                    .containsEntry("pacsfs_lease_state{state=\"held\"}", 1.0)
                    .containsEntry("pacsfs_s3_requests_total{operation=\"put\",outcome=\"transient\"}", 0.0)
                    .containsEntry("pacsfs_s3_requests_total{operation=\"put\",outcome=\"permanent\"}", 0.0);
            assertThat(shipped.get("pacsfs_write_log_bytes")).isPositive();
            assertThat(shipped.get("pacsfs_write_log_capacity_bytes")).isEqualTo(4.0 * (1L << 30));
            assertThat(shipped.get("pacsfs_files")).isGreaterThanOrEqualTo(13.0);

            // pacsfs status: the same figures, and where to scrape them.
            PacsfsProcess.Result json = PacsfsProcess.run(null, Duration.ofSeconds(60), "status", "--json", mnt.toString());
            assertThat(json.exitCode()).as(json.output()).isZero();
            assertThat(json.output()).contains("\"metricsUrl\":\"" + url + "\"", "\"unshippedBytes\":0", "\"leaseState\":\"held\"",
                    "\"shipperState\":\"idle\"", "\"s3Requests.put.ok\":", "\"cache.memory.hits\":");
            PacsfsProcess.Result human = PacsfsProcess.run(null, Duration.ofSeconds(60), "status", mnt.toString());
            assertThat(human.output()).containsPattern("leaseState +held").containsPattern("unshippedBytes +0")
                    .doesNotContain("s3Requests.put.permanent");

            mount.unmount();
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            throw new AssertionError("port " + port + " still open after unmount");
        } catch (ConnectException expected) {
            // closed with the mount
        }

        try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"))) {
            Files.writeString(mnt.resolve("plain.txt"), "no metrics");
            assertThat(listeningSockets(mount.process.pid())).as("a mount without --metrics-port listens on nothing").isEmpty();
            assertThat(mount.log()).doesNotContain("metrics at");
            PacsfsProcess.Result json = PacsfsProcess.run(null, Duration.ofSeconds(60), "status", "--json", mnt.toString());
            assertThat(json.output()).contains("\"metricsUrl\":null");
            mount.unmount();
        }
    }

    private static long writeFiles(Path mnt, int count, int size) throws IOException {
        Random random = new Random(10);
        Path dir = Files.createDirectories(mnt.resolve("study"));
        long total = 0;
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            Path f = dir.resolve("IM" + i + ".dcm");
            Files.write(f, data);
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            total += size;
        }
        return total;
    }

    private static Map<String, Double> awaitScrape(String url, Predicate<Map<String, Double>> done, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Double> last = scrape(url);
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("metrics did not reach the expected state within " + timeout + ": " + last);
            }
            Thread.sleep(200);
            last = scrape(url);
        }
        return last;
    }

    /** Sample lines of the Prometheus text format: "name{labels}" -> value. */
    private static Map<String, Double> scrape(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Map<String, Double> m = new HashMap<>();
        Matcher line = Pattern.compile("(?m)^([a-z0-9_]+(?:\\{[^}]*\\})?) (\\S+)$").matcher(r.body());
        while (line.find()) {
            m.put(line.group(1), Double.parseDouble(line.group(2)));
        }
        return m;
    }

    /**
     * The TCP sockets process {@code pid} listens on, as "address:port", from /proc (the kernel's own view: what a
     * port scanner would find, whatever the code believes it bound).
     */
    private static List<String> listeningSockets(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // an fd closed while listing
                }
            }
        }
        List<String> listening = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String row : Files.readAllLines(Path.of(table)).subList(1, Files.readAllLines(Path.of(table)).size())) {
                String[] f = row.trim().split("\\s+");
                if ("0A".equals(f[3]) && inodes.contains(f[9])) {
                    listening.add(address(f[1]));
                }
            }
        }
        return listening;
    }

    /**
     * "0100007F:1F90" (little-endian IPv4, hex port) -> "127.0.0.1:8080". An IPv4-mapped IPv6 address (Java binds
     * 127.0.0.1 on a dual-stack socket as ::ffff:127.0.0.1) is shown as the IPv4 address; other IPv6 rows raw.
     */
    private static String address(String hex) {
        String[] p = hex.split(":");
        int port = Integer.parseInt(p[1], 16);
        String ip = p[0].startsWith("0000000000000000FFFF0000") ? p[0].substring(24) : p[0];
        if (ip.length() != 8) {
            return ip + ":" + port;
        }
        long a = Long.parseLong(ip, 16);
        return (a & 0xff) + "." + (a >> 8 & 0xff) + "." + (a >> 16 & 0xff) + "." + (a >> 24 & 0xff) + ":" + port;
    }

    private static java.util.Optional<InetAddress> externalAddress() throws IOException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        return java.util.Optional.of(a);
                    }
                }
            }
        }
        return java.util.Optional.empty();
    }

    private static void assertRefused(InetAddress address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 2000);
            throw new AssertionError("the metrics port answers on " + address + ", not only on loopback");
        } catch (IOException expected) {
            // refused: bound to 127.0.0.1 only
        }
    }
}
