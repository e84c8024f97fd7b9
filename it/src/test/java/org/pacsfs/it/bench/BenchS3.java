package org.pacsfs.it.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pacsfs.core.store.embedded.S3ProxyProcess;

/**
 * The S3 side of {@code bench/run.sh}: ONE S3Proxy server process on a free port, one bucket per system under test,
 * and one {@link CountingProxy} per bucket in front of it, so that every system's requests and bytes are counted apart.
 *
 * <p>Usage: {@code BenchS3 WORK_DIR S3PROXY_JAR PARENT_PID BUCKET...}. Writes {@code WORK_DIR/server.env} (mode 0600:
 * the server's generated keys, endpoints, the server's pid) once everything is up, then rewrites
 * {@code WORK_DIR/counters.tsv} every 50 ms (atomically) with one line per bucket:
 * {@code bucket bytes_up bytes_down requests PUT POST GET HEAD DELETE}. Runs until SIGTERM or until PARENT_PID exits;
 * S3Proxy is stopped on the way out (its shutdown hook), the bucket data in {@code WORK_DIR/s3data} is left to the caller.
 * Environment {@code BENCH_S3_LATENCY_MS}: a delay the proxies add to every request (default 0), to stand in for the
 * round trip to a real S3 endpoint.
 */
public final class BenchS3 {

    private static final List<String> METHODS = List.of("PUT", "POST", "GET", "HEAD", "DELETE");

    private BenchS3() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: BenchS3 WORK_DIR S3PROXY_JAR PARENT_PID BUCKET... (got " + args.length + " arguments)");
            System.exit(2);
        }
        Path work = Path.of(args[0]);
        Path jar = Path.of(args[1]);
        long parent = Long.parseLong(args[2]);
        List<String> buckets = List.of(args).subList(3, args.length);
        String latencyText = System.getenv().getOrDefault("BENCH_S3_LATENCY_MS", "0");
        long latency;
        try {
            latency = Long.parseLong(latencyText);
        } catch (NumberFormatException e) {
            latency = -1;
        }
        if (latency < 0 || latency > 10_000) {
            System.err.println("BENCH_S3_LATENCY_MS must be a whole number of milliseconds 0..10000, got '" + latencyText + "'");
            System.exit(2);
        }
        Files.createDirectories(work.resolve("s3data"));
        S3ProxyProcess server = S3ProxyProcess.builder(jar)
                .dataDirectory(work.resolve("s3data"))
                .jvmArgs(List.of("-Xmx1g"))
                .startupTimeout(Duration.ofSeconds(120))
                .start();
        Map<String, CountingProxy> proxies = new LinkedHashMap<>();
        for (String b : buckets) {
            server.createBucket(b);
            proxies.put(b, new CountingProxy(server.endpoint(), latency));
        }
        List<String> env = new ArrayList<>();
        env.add("S3_DIRECT=" + server.endpoint());
        env.add("S3PROXY_PID=" + server.pid());
        env.add("BENCHS3_PID=" + ProcessHandle.current().pid());
        env.add("AWS_ACCESS_KEY_ID=" + server.accessKeyId());
        env.add("AWS_SECRET_ACCESS_KEY=" + server.secretAccessKey());
        env.add("AWS_REGION=" + server.region());
        env.add("S3_LATENCY_MS=" + latency);
        for (Map.Entry<String, CountingProxy> e : proxies.entrySet()) {
            env.add("PROXY_" + e.getKey().replace('-', '_') + "=" + e.getValue().endpoint());
        }
        Path envFile = work.resolve("server.env");
        Path tmp = work.resolve("server.env.tmp");
        Files.write(tmp, env, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        Files.move(tmp, envFile, StandardCopyOption.ATOMIC_MOVE);
        Path counters = work.resolve("counters.tsv");
        Path countersTmp = work.resolve("counters.tsv.tmp");
        while (ProcessHandle.of(parent).map(ProcessHandle::isAlive).orElse(false) && server.isAlive()) {
            writeCounters(proxies, counters, countersTmp);
            Thread.sleep(50);
        }
        proxies.values().forEach(CountingProxy::close);
        server.stop();
    }

    private static void writeCounters(Map<String, CountingProxy> proxies, Path to, Path tmp) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, CountingProxy> e : proxies.entrySet()) {
            CountingProxy p = e.getValue();
            Map<String, Long> req = p.requests();
            long total = req.values().stream().mapToLong(Long::longValue).sum();
            b.append(e.getKey()).append('\t').append(p.bytesUp()).append('\t').append(p.bytesDown()).append('\t').append(total);
            for (String m : METHODS) {
                b.append('\t').append(req.getOrDefault(m, 0L));
            }
            b.append('\n');
        }
        Files.writeString(tmp, b.toString());
        Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
    }
}
