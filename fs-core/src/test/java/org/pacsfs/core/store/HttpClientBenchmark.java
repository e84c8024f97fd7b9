package org.pacsfs.core.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.pacsfs.core.store.embedded.S3ProxyProcess;
import org.pacsfs.core.store.s3.ChecksumPolicy;
import org.pacsfs.core.store.s3.HttpClientKind;
import org.pacsfs.core.store.s3.S3ClientFactory;
import org.pacsfs.core.store.s3.S3Config;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.crt.AwsCrtHttpClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Throughput of the SDK's sync HTTP clients against a real S3Proxy process: N threads PUT, then GET,
 * objects of a fixed size for a few seconds each. Not a test; run by hand (see docs/OBJECT-STORE.md):
 *
 * <pre>
 * java -cp ... org.pacsfs.core.store.HttpClientBenchmark [seconds=5] [threads=16] [MiB=4] [clients=URL_CONNECTION,APACHE5,CRT] [checksums=WHEN_SUPPORTED]
 * </pre>
 */
public final class HttpClientBenchmark {

    public static void main(String[] args) throws Exception {
        Duration phase = Duration.ofSeconds(arg(args, 0, 5));
        int threads = arg(args, 1, 16);
        int size = arg(args, 2, 4) << 20;
        List<String> clients = List.of((args.length > 3 ? args[3] : "URL_CONNECTION,APACHE5,CRT").split(","));
        ChecksumPolicy checksums = ChecksumPolicy.valueOf(args.length > 4 ? args[4] : "WHEN_SUPPORTED");
        Path jar = Path.of(System.getProperty("pacsfs.s3proxy.jar", "target/s3proxy/s3proxy.jar"));
        try (S3ProxyProcess server = S3ProxyProcess.builder(jar).start()) {
            System.out.printf("%d threads, %d MiB objects, %s per phase, checksums %s, http.maxConnections=%s%n",
                    threads, size >> 20, phase, checksums, System.getProperty("http.maxConnections", "default"));
            System.out.printf("%-16s %10s %10s %8s%n", "client", "PUT MB/s", "GET MB/s", "errors");
            for (int i = 0; i < clients.size(); i++) {
                String client = clients.get(i);
                String bucket = "bench-" + i + "-" + client.toLowerCase().replace('_', '-');
                server.createBucket(bucket);
                S3Config config = server.configFor(bucket).maxConnections(threads).checksums(checksums)
                        .httpClient(client.equals("CRT") ? HttpClientKind.APACHE5 : HttpClientKind.valueOf(client))
                        .build();
                try (S3Client s3 = S3ClientFactory.create(config, httpClient(client, config))) {
                    var run = new Run(s3, bucket, threads, size, phase);
                    run.phase(true); // warm-up, also creates the objects the GETs read
                    double put = run.phase(true);
                    double get = run.phase(false);
                    System.out.printf("%-16s %10.0f %10.0f %8d%n", client, put, get, run.errors.get());
                }
            }
        }
    }

    private static SdkHttpClient httpClient(String client, S3Config config) {
        if (client.equals("CRT")) {
            return AwsCrtHttpClient.builder().maxConcurrency(config.maxConnections())
                    .connectionTimeout(config.connectTimeout()).build();
        }
        return S3ClientFactory.httpClient(config);
    }

    private static int arg(String[] args, int index, int fallback) {
        return args.length > index ? Integer.parseInt(args[index]) : fallback;
    }

    /** One client's PUT and GET phases. */
    private static final class Run {
        final S3Client s3;
        final String bucket;
        final int threads;
        final byte[] body;
        final Duration phase;
        final AtomicLong errors = new AtomicLong();

        Run(S3Client s3, String bucket, int threads, int size, Duration phase) {
            this.s3 = s3;
            this.bucket = bucket;
            this.threads = threads;
            this.body = new byte[size];
            new Random(42).nextBytes(body);
            this.phase = phase;
        }

        /** MB/s (10^6 bytes) moved by all threads during one phase. */
        double phase(boolean put) throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long deadline = System.nanoTime() + phase.toNanos();
            var futures = new ArrayList<Future<Long>>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                String key = "bench/object-" + t;
                futures.add(pool.submit(() -> loop(put, key, deadline)));
            }
            long bytes = 0;
            for (Future<Long> f : futures) {
                bytes += f.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            pool.shutdown();
            return bytes / seconds / 1e6;
        }

        private long loop(boolean put, String key, long deadline) {
            long bytes = 0;
            while (System.nanoTime() < deadline) {
                try {
                    if (put) {
                        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
                        bytes += body.length;
                    } else {
                        bytes += s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArrayUnsafe().length;
                    }
                } catch (RuntimeException e) {
                    if (errors.incrementAndGet() <= 3) {
                        System.err.println((put ? "PUT " : "GET ") + key + ": " + e);
                    }
                }
            }
            return bytes;
        }
    }
}
