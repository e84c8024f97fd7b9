package org.pacsfs.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Block files come out byte-exact whichever way they are written: direct I/O (padded, then truncated) or buffered. */
class BlockWriterTest {
    @TempDir
    Path dir;

    static ByteBuffer bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    static byte[] concat(ByteBuffer a, ByteBuffer b) {
        return ByteBuffer.allocate(a.remaining() + b.remaining()).put(a.duplicate()).put(b.duplicate()).array();
    }

    void writesExactly(BlockWriter w) throws Exception {
        int header = BlockFormat.HEADER_SIZE;
        int[] lengths = {0, 1, 511 - header, 512 - header, 4095 - header, 4096 - header, 4097 - header, 1 << 20,
            4 << 20, BlockWriter.MAX_DIRECT - header, BlockWriter.MAX_DIRECT - header + 1, (4 << 20) + 4097};
        for (int n : lengths) {
            ByteBuffer h = bytes(header, n);
            ByteBuffer payload = bytes(n, n + 1L);
            // a payload that is a slice with a position, as the memory tier hands them over
            ByteBuffer sliced = ByteBuffer.allocate(n + 10).position(7);
            sliced.put(payload.duplicate()).flip().position(7);
            Path p = dir.resolve("b" + n);
            w.write(p, h, sliced);
            assertThat(Files.readAllBytes(p)).as("block of %d payload bytes", n).isEqualTo(concat(h, payload));
            assertThat(sliced.position()).isEqualTo(7);
            // rewriting a longer file with a shorter block leaves no tail
            w.write(p, h, ByteBuffer.wrap(new byte[] {5}));
            assertThat(Files.size(p)).isEqualTo(header + 1L);
        }
    }

    @Test
    void directIoWritesExactlyTheBlockWhereTheFilesystemAllowsIt() throws Exception {
        BlockWriter w = BlockWriter.open(dir, true);
        Assumptions.assumeTrue(w.direct(), "the test directory's filesystem refuses O_DIRECT");
        writesExactly(w);
        assertThat(Files.exists(dir.resolve(".direct-io-probe"))).isFalse();
    }

    @Test
    void bufferedWritesExactlyTheBlock() throws Exception {
        BlockWriter w = BlockWriter.open(dir, false);
        assertThat(w.direct()).isFalse();
        writesExactly(w);
    }

    @Test
    void moreWritersThanPooledBuffersFallBackToBufferedWritesNotToWaiting() throws Exception {
        BlockWriter w = BlockWriter.open(dir, true);
        int writers = BlockWriter.BUFFERS * 4;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int id = i;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int r = 0; r < 10; r++) {
                        w.write(dir.resolve("c" + id + "-" + r), bytes(BlockFormat.HEADER_SIZE, id), bytes(300_000 + id, r));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        for (int id = 0; id < writers; id++) {
            for (int r = 0; r < 10; r++) {
                assertThat(Files.readAllBytes(dir.resolve("c" + id + "-" + r)))
                        .isEqualTo(concat(bytes(BlockFormat.HEADER_SIZE, id), bytes(300_000 + id, r)));
            }
        }
    }
}
