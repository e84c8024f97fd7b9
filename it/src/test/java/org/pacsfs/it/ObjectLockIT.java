package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.it.faults.FaultProxy;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.core.store.embedded.S3ProxyProcess;
import org.pacsfs.testing.S3ProxyExtension;

/**
 * Object Lock on the wire, through a real mount. No S3 server with Object Lock is available here (S3Proxy answers
 * GetObjectLockConfiguration with 501 and stores objects without retention), so the test proxy answers that request
 * for it with an enabled configuration: what is checked is what pacsfs sends — every object written once (superblock,
 * settings, chunks, log segments, checkpoints) carries {@code x-amz-object-lock-mode: COMPLIANCE} and a retain-until
 * date of its upload time + the retention, the lease never does — and that without Object Lock nothing is sent and the
 * user is warned at every mount. The server runs with s3proxy.ignore-unknown-headers, so that it stores the objects
 * (without retention) instead of refusing the headers with 501.
 */
@Timeout(180)
class ObjectLockIT {

    private static final String ENABLED = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ObjectLockConfiguration "
            + "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>";

    @Test
    void objectsWrittenOnceCarryTheRetentionOnlyWhereTheBucketHasObjectLock() throws Exception {
        try (S3ProxyProcess server = S3ProxyProcess.builder(Path.of(System.getProperty(S3ProxyExtension.JAR_PROPERTY)))
                .ignoreUnknownHeaders().start()) {
            server.createBucket("locked");
            run(S3TestBucket.of(server, "locked"));
        }
    }

    private void run(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("object-lock");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Instant before;
        Instant after;
        List<String> puts;
        try (FaultProxy proxy = new FaultProxy(bucket.endpoint())) {
            proxy.answer("?object-lock", 200, ENABLED);
            proxy.recordRequests();
            before = Instant.now();
            try (PacsfsProcess.Mount m = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create", "--worm", "--retention",
                    "30d", "--require-object-lock", "--endpoint", proxy.endpoint().toString())) {
                assertThat(m.log()).contains("Object Lock is enabled").doesNotContain("WORM is enforced by pacsfs only");
                Sh.ok(mnt, "mkdir study && head -c 300000 /dev/urandom > study/a.dcm && echo b > study/b.dcm && sync");
                m.unmount();
            }
            after = Instant.now();
            puts = proxy.requestHeads().stream().filter(h -> h.startsWith("PUT ")).toList();
            PacsfsProcess.Result verify = PacsfsProcess.run(bucket, Duration.ofSeconds(60), "verify", "s3://" + bucket.name(),
                    "--endpoint", proxy.endpoint().toString(), "--quiet");
            assertThat(verify.exitCode()).as(verify.output()).isZero();
            assertThat(verify.output()).contains("settings:   WORM on (grace 60s), retention 30d; Object Lock enabled on the bucket");
        }
        String b = "/" + bucket.name() + "/";
        for (String kind : List.of("pacsfs.json", "settings.json", "chunks/", "log/", "checkpoints/")) {
            List<String> of = puts.stream().filter(h -> h.startsWith("PUT " + b + kind)).toList();
            assertThat(of).as(kind).isNotEmpty();
            for (String h : of) {
                assertThat(header(h, "x-amz-object-lock-mode")).as(h).isEqualTo("COMPLIANCE");
                Instant until = Instant.parse(header(h, "x-amz-object-lock-retain-until-date"));
                assertThat(until).as(h).isBetween(before.plus(Duration.ofDays(30)), after.plus(Duration.ofDays(30)));
                assertThat(header(h, "x-amz-checksum-crc32c")).as(h).isNotNull();
            }
        }
        List<String> lease = puts.stream().filter(h -> h.startsWith("PUT " + b + "lease ")).toList();
        assertThat(lease).isNotEmpty().allSatisfy(h -> assertThat(header(h, "x-amz-object-lock-mode")).isNull());

        // The same filesystem on a server that has no Object Lock (S3Proxy answers itself): warned, no lock headers.
        try (FaultProxy proxy = new FaultProxy(bucket.endpoint())) {
            proxy.recordRequests();
            try (PacsfsProcess.Mount m = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--endpoint",
                    proxy.endpoint().toString())) {
                assertThat(m.log()).contains("WORM is enforced by pacsfs only; the bucket does not have Object Lock")
                        .contains("HTTP 501");
                Sh.ok(mnt, "echo c > study/c.dcm && sync");
                m.unmount();
            }
            PacsfsProcess.Result verify = PacsfsProcess.run(bucket, Duration.ofSeconds(60), "verify", "s3://" + bucket.name(),
                    "--endpoint", proxy.endpoint().toString(), "--quiet");
            assertThat(verify.output()).contains("no Object Lock: WORM is enforced by pacsfs only");
            List<String> later = proxy.requestHeads().stream().filter(h -> h.startsWith("PUT " + b + "chunks/")
                    || h.startsWith("PUT " + b + "log/")).toList();
            assertThat(later).isNotEmpty().allSatisfy(h -> assertThat(header(h, "x-amz-object-lock-mode")).isNull());
        }
    }

    /** The value of a header in a raw request head, or null. */
    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }
}
