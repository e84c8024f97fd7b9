package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.fs.LogSegments;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.PutCondition;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * verify, versions, cat --at, a point-in-time mount, and restore (through a mount, and taking the lease when nothing is mounted) against a real
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
        String writerPid;
        try (PacsfsProcess.Mount m = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create")) {
            Files.writeString(mnt.resolve("scan.dcm"), v1);
            Sh.ok(mnt, "sync scan.dcm");
            CliErrorsIT.awaitShipped(mnt);
            t1 = Instant.now();
            Thread.sleep(50);
            // The second version comes from a shell whose pid we know (exec keeps it for cat, which writes): history
            // must name that process as the writer, as docs/HISTORY.md promises for a ransomware investigation.
            Files.writeString(work.resolve("v2.txt"), v2);
            writerPid = Sh.ok(mnt, "echo $$; exec cat " + work.resolve("v2.txt") + " > scan.dcm").trim();
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
        String v2Sha = sha256(v2);
        String v2Line = versions.output().lines().filter(l -> l.contains(v2Sha)).findFirst().orElseThrow();
        String[] cols = v2Line.trim().split("\\s+");
        assertThat(cols[cols.length - 2] + " " + cols[cols.length - 1]).as("uid and pid of the second version's writer: " + v2Line)
                .isEqualTo(Sh.ok(mnt, "id -u").trim() + " " + writerPid);

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

        // verify: the whole history checks out and the head is reported; damage done behind pacsfs's back is named.
        String[] verify = {"verify", s3, "--endpoint", endpoint};
        PacsfsProcess.Result clean = PacsfsProcess.run(bucket, Duration.ofSeconds(120), verify);
        assertThat(clean.exitCode()).as(clean.output()).isZero();
        assertThat(clean.output()).contains("result:     OK").doesNotContain("PROBLEM");
        String head = clean.output().lines().filter(l -> l.startsWith("head:")).findFirst().orElseThrow()
                .substring("head:".length()).trim();
        assertThat(head).matches("\\d+:[0-9a-f]{64}");
        ObjectStore store = bucket.newStore();
        BucketKeys keys = BucketKeys.under("");
        List<String> segments = store.listAll(keys.logPrefix()).map(ObjectInfo::key).toList();
        String chunk = null;
        for (String seg : segments) {
            var refs = LogSegments.decode(store.get(seg).bytes(), seg).chunks();
            if (!refs.isEmpty()) {
                chunk = keys.chunk(refs.get(0).id());
            }
        }
        assertThat(chunk).isNotNull();
        store.delete(chunk);
        String segment = segments.get(0);
        byte[] b = store.get(segment).bytes();
        b[b.length / 2] ^= 1;
        store.put(segment, b, PutCondition.none());
        PacsfsProcess.Result damaged = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "verify", s3, "--endpoint", endpoint,
                "--expect-head", head);
        assertThat(damaged.exitCode()).as(damaged.output()).isEqualTo(3);
        assertThat(damaged.output())
                .contains("PROBLEM CHUNK_MISSING " + chunk)
                .contains("PROBLEM SEGMENT_DAMAGED " + segment)
                .contains("result:     2 problem(s)");

    }
}
