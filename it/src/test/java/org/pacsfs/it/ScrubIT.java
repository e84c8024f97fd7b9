package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * pacsfs scrub against a real S3 server process: chunks damaged and removed behind pacsfs's back (S3Proxy's files on
 * disk) are found, and repaired from the disk cache of the mount that read them, after which verify is clean again.
 */
@WithS3Proxy
@Timeout(300)
class ScrubIT {

    @Test
    void scrubRepairsDamagedAndMissingChunksFromTheMountsDiskCache(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("scrub");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Path cache = work.resolve("cache");
        byte[] big = new byte[6 << 20]; // two chunks of its own
        new Random(11).nextBytes(big);
        try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, cache, "--create")) {
            Files.write(mnt.resolve("big.dcm"), big);
            Sh.ok(mnt, "sync big.dcm");
            CliErrorsIT.awaitShipped(mnt);
            mount.unmount();
        }
        // A second session reads the file: its chunks come from the bucket and land in the disk cache.
        try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, cache)) {
            assertThat(Files.readAllBytes(mnt.resolve("big.dcm"))).isEqualTo(big);
            mount.unmount();
        }
        Path chunksDir = bucket.server().dataDirectory().resolve(bucket.name()).resolve("chunks");
        List<Path> chunks;
        try (Stream<Path> s = Files.walk(chunksDir)) {
            chunks = s.filter(Files::isRegularFile).sorted((a, b) -> Long.compare(size(b), size(a))).toList();
        }
        assertThat(chunks).as("chunk objects in the bucket").hasSizeGreaterThanOrEqualTo(2);
        Path damaged = chunks.get(0);
        byte[] stored = Files.readAllBytes(damaged);
        stored[stored.length / 2] ^= 0x10;
        Files.write(damaged, stored);
        Path removed = chunks.get(1);
        Files.delete(removed);

        String s3 = "s3://" + bucket.name();
        String endpoint = bucket.endpoint().toString();
        String stateFile = work.resolve("scrub.state").toString();
        PacsfsProcess.Result check = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "scrub", s3, "--endpoint", endpoint,
                "--state-file", stateFile);
        assertThat(check.exitCode()).as(check.output()).isEqualTo(3);
        assertThat(check.output()).contains("CHUNK NOT_REPAIRED chunks/" + damaged.getParent().getFileName() + "/" + damaged.getFileName())
                .contains("CHUNK NOT_REPAIRED chunks/" + removed.getParent().getFileName() + "/" + removed.getFileName())
                .contains("result:     2 problem(s) remain");

        PacsfsProcess.Result repair = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "scrub", s3, "--endpoint", endpoint,
                "--repair", "--cache-dir", cache.toString(), "--state-file", stateFile);
        assertThat(repair.exitCode()).as(repair.output()).isZero();
        assertThat(repair.output()).contains("CHUNK REPAIRED chunks/" + damaged.getParent().getFileName() + "/" + damaged.getFileName())
                .contains("CHUNK REPAIRED chunks/" + removed.getParent().getFileName() + "/" + removed.getFileName())
                .contains("2 repaired").contains("result:     OK");
        assertThat(Path.of(stateFile)).as("a completed scrub leaves nothing to resume").doesNotExist();

        PacsfsProcess.Result after = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "verify", s3, "--endpoint", endpoint);
        assertThat(after.exitCode()).as(after.output()).isZero();
        assertThat(after.output()).contains("result:     OK");
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }
}
