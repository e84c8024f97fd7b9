package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

/** {@code pacsfs verify} against a real S3 server: a clean filesystem verifies; damage done behind its back is named. */
@WithS3Proxy
@Timeout(300)
class VerifyIT {

    @Test
    void verifyReportsTheHeadAndNamesDamage(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("verify");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        try (PacsfsProcess.Mount m = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create")) {
            for (int i = 0; i < 3; i++) {
                byte[] data = new byte[300_000];
                new Random(i).nextBytes(data);
                Files.write(mnt.resolve("study" + i + ".dcm"), data);
                Sh.ok(mnt, "sync study" + i + ".dcm");
                CliErrorsIT.awaitShipped(mnt);
            }
            m.unmount();
        }
        String[] verify = {"verify", "s3://" + bucket.name(), "--endpoint", bucket.endpoint().toString()};

        PacsfsProcess.Result clean = PacsfsProcess.run(bucket, Duration.ofSeconds(120), verify);
        assertThat(clean.exitCode()).as(clean.output()).isZero();
        assertThat(clean.output()).contains("result:     OK").doesNotContain("PROBLEM");
        String head = clean.output().lines().filter(l -> l.startsWith("head:")).findFirst().orElseThrow()
                .substring("head:".length()).trim();
        assertThat(head).matches("\\d+:[0-9a-f]{64}");

        // Damage behind pacsfs's back: one chunk removed, one segment modified.
        ObjectStore store = bucket.newStore();
        BucketKeys keys = BucketKeys.under("");
        List<String> segments = store.listAll(keys.logPrefix()).map(ObjectInfo::key).toList();
        String chunk = null;
        for (String s : segments) {
            var refs = LogSegments.decode(store.get(s).bytes(), s).chunks();
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

        PacsfsProcess.Result damaged = PacsfsProcess.run(bucket, Duration.ofSeconds(120),
                append(verify, "--expect-head", head));
        assertThat(damaged.exitCode()).as(damaged.output()).isEqualTo(3);
        assertThat(damaged.output())
                .contains("PROBLEM CHUNK_MISSING " + chunk)
                .contains("PROBLEM SEGMENT_DAMAGED " + segment)
                .contains("result:     2 problem(s)");

        // A malformed anchor is a usage error naming the accepted form.
        PacsfsProcess.Result usage = PacsfsProcess.run(bucket, Duration.ofSeconds(60), append(verify, "--expect-head", "12"));
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(usage.output()).contains("expected SEQ:SHA256");
    }

    private static String[] append(String[] args, String... more) {
        String[] out = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, out, args.length, more.length);
        return out;
    }
}
