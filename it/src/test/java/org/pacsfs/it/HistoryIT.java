package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * versions, cat --at, a point-in-time mount, and restore (through a mount, and taking the lease when nothing is mounted) against a real
 * mount on a real S3 server, across remounts.
 */
@WithS3Proxy
@Timeout(400)
class HistoryIT {

    static String text(long seed, int n) {
        Random r = new Random(seed);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append((char) ('a' + r.nextInt(26)));
        }
        return b.toString();
    }

    static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void versionsCatAtAndRestoreRoundTrip(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("history");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        String v1 = text(1, 200_000);
        String v2 = "encrypted by ransomware " + text(2, 1000);
        Instant t1;
        try (PacsfsProcess.Mount m = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create")) {
            Files.writeString(mnt.resolve("scan.dcm"), v1);
            Sh.ok(mnt, "sync scan.dcm");
            CliErrorsIT.awaitShipped(mnt);
            t1 = Instant.now();
            Thread.sleep(50);
            Files.writeString(mnt.resolve("scan.dcm"), v2);
            Sh.ok(mnt, "sync scan.dcm");
            CliErrorsIT.awaitShipped(mnt);
            m.unmount();
        }
        String s3 = "s3://" + bucket.name();
        String endpoint = bucket.endpoint().toString();

        PacsfsProcess.Result versions = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "versions", s3, "/scan.dcm", "--endpoint", endpoint);
        assertThat(versions.exitCode()).as(versions.output()).isZero();
        assertThat(versions.output()).contains(sha256(v1)).contains(sha256(v2)).contains("write");
        assertThat(versions.output().indexOf(sha256(v1))).isLessThan(versions.output().indexOf(sha256(v2)));

        PacsfsProcess.Result cat = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "cat", s3, "/scan.dcm", "--at", t1.toString(),
                "--endpoint", endpoint);
        assertThat(cat.exitCode()).as(cat.output()).isZero();
        assertThat(cat.output()).endsWith(v1);

        // A point-in-time view: a real read-only mount as of t1.
        try (PacsfsProcess.Mount view = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-view"), "--read-only", "--at", t1.toString())) {
            assertThat(Files.readString(mnt.resolve("scan.dcm"))).isEqualTo(v1);
            Sh.Result w = Sh.run(mnt, "echo x > scan.dcm");
            assertThat(w.exitCode()).isNotZero();
            assertThat(w.output()).contains("Read-only file system");
            view.unmount();
        }
        // (--at without --read-only and malformed times are usage errors: HistoryCommandsTest.)

        // Restore through a mount (another mount than the one that wrote: across remounts).
        try (PacsfsProcess.Mount m = PacsfsProcess.mount(bucket, mnt, work.resolve("cache2"))) {
            PacsfsProcess.Result r = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "restore", s3, "/scan.dcm", "--at", t1.toString(),
                    "--through", mnt.toString(), "--endpoint", endpoint);
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(Files.readString(mnt.resolve("scan.dcm"))).isEqualTo(v1);
            // While mounted, restoring without the mount is refused, naming the way to do it.
            PacsfsProcess.Result refused = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "restore", s3, "/scan.dcm", "--at",
                    t1.toString(), "--to", "/copy.dcm", "--endpoint", endpoint);
            assertThat(refused.exitCode()).as(refused.output()).isEqualTo(1);
            assertThat(refused.output()).contains("--through MOUNTPOINT");
            m.unmount();
        }
        // Nothing mounted: restore takes the lease itself.
        PacsfsProcess.Result r = PacsfsProcess.run(bucket, Duration.ofSeconds(180), "restore", s3, "/scan.dcm", "--at", t1.toString(),
                "--to", "/copy.dcm", "--endpoint", endpoint);
        assertThat(r.exitCode()).as(r.output()).isZero();
        PacsfsProcess.Result copy = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "cat", s3, "/copy.dcm", "--endpoint", endpoint);
        assertThat(copy.exitCode()).as(copy.output()).isZero();
        assertThat(copy.output()).endsWith(v1);

    }
}
