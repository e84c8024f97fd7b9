package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * A bit flipped in a chunk object in the bucket (S3Proxy's files on disk): a new machine reading the file through the
 * mount gets EIO and the log names the damaged chunk; it never gets other bytes. Files in other chunks still read.
 */
@WithS3Proxy
@Timeout(300)
class CorruptionIT {

    @Test
    void aFlippedBitInAChunkReadsAsEioNamingTheChunk(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("corruption");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        byte[] big = new byte[6 << 20]; // two chunks of its own
        new Random(3).nextBytes(big);
        try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create")) {
            Files.write(mnt.resolve("big.dcm"), big);
            Sh.ok(mnt, "sync big.dcm");
            mount.unmount();
        }
        Path chunksDir = bucket.server().dataDirectory().resolve(bucket.name()).resolve("chunks");
        List<Path> chunks;
        try (Stream<Path> s = Files.walk(chunksDir)) {
            chunks = s.filter(Files::isRegularFile).sorted((a, b) -> Long.compare(size(b), size(a))).toList();
        }
        assertThat(chunks).as("chunk objects in the bucket").isNotEmpty();
        Path victim = chunks.get(0);
        byte[] stored = Files.readAllBytes(victim);
        stored[stored.length / 2] ^= 0x10;
        Files.write(victim, stored);

        try (PacsfsProcess.Mount reader = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-fresh"), "--read-only")) {
            Sh.Result cat = Sh.run(mnt, "cat big.dcm > /dev/null");
            assertThat(cat.exitCode()).isNotZero();
            assertThat(cat.output()).contains("Input/output error");
            assertThat(reader.log()).contains(victim.getFileName().toString());
            reader.unmount();
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }
}
