package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.fs.model.FsTreeReader;

/**
 * Many threads at once: appends to own files and, through O_APPEND handles, to one shared file (no lost, interleaved
 * or duplicated bytes); and racing exclusive creates (exactly one winner per name).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrentAppendTest {
    private static final int THREADS = 16;
    private static final int RECORDS = 250;
    private static final int MAGIC = 0x5041_4353; // "PACS"
    /** magic, thread, sequence, payload length; then payload; then CRC32 of everything before it. */
    private static final int HEADER = 16;

    @TempDir
    Path dir;

    private FsConfig config() {
        return FsConfig.defaults(dir).withIndexSize(10_000, 100_000);
    }

    static int payloadLength(int thread, int seq) {
        // mostly small, sometimes larger than a page, now and then 100 KiB (several pieces in the log)
        int r = new Random(thread * 100_003L + seq).nextInt(100);
        return r < 80 ? 1 + r * 13 : r < 98 ? 4096 + r * 37 : 100_000 + thread;
    }

    static byte[] record(int thread, int seq) {
        int len = payloadLength(thread, seq);
        ByteBuffer b = ByteBuffer.allocate(HEADER + len + 4);
        b.putInt(MAGIC).putInt(thread).putInt(seq).putInt(len);
        for (int i = 0; i < len; i++) {
            b.put((byte) (thread * 31 + seq * 7 + i));
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, HEADER + len);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    @Test
    void appendsToOwnAndSharedFilesLoseAndInterleaveNothing() throws Exception {
        long expectedShared = 0;
        long[] expectedOwn = new long[THREADS];
        for (int t = 0; t < THREADS; t++) {
            for (int s = 0; s < RECORDS; s++) {
                expectedShared += record(t, s).length;
                expectedOwn[t] += record(t, s).length;
            }
        }
        try (LocalFileSystem fs = LocalFileSystem.open(config())) {
            fs.mkdir("/d", 0755, Caller.ROOT);
            fs.release(fs.create("/d/shared", 0644, OpenFlags.O_WRONLY, Caller.ROOT));
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Callable<Void>> work = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                work.add(() -> {
                    long own = fs.create("/d/own-" + thread, 0644, OpenFlags.O_RDWR | OpenFlags.O_EXCL, Caller.ROOT);
                    long shared = fs.open("/d/shared", OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
                    start.await();
                    long pos = 0;
                    for (int s = 0; s < RECORDS; s++) {
                        byte[] r = record(thread, s);
                        assertThat(fs.write(own, pos, ByteBuffer.wrap(r))).isEqualTo(r.length);
                        pos += r.length;
                        // the offset must be ignored for O_APPEND handles
                        assertThat(fs.write(shared, 0, ByteBuffer.wrap(r))).isEqualTo(r.length);
                        if (s % 50 == 49) {
                            fs.fsync(shared, thread % 2 == 0);
                        }
                    }
                    fs.release(shared);
                    fs.release(own);
                    return null;
                });
            }
            runAll(work);
            verify(fs, expectedShared, expectedOwn);
            fs.crashForTesting();
        }
        try (LocalFileSystem fs = LocalFileSystem.open(config())) {
            assertThat(fs.recoveryInfo().indexTrusted()).isFalse();
            verify(fs, expectedShared, expectedOwn);
        }
    }

    private static void verify(LocalFileSystem fs, long expectedShared, long[] expectedOwn) throws Exception {
        for (int t = 0; t < THREADS; t++) {
            String path = "/d/own-" + t;
            assertThat(fs.getattr(path).size()).as(path).isEqualTo(expectedOwn[t]);
            ByteBuffer want = ByteBuffer.allocate((int) expectedOwn[t]);
            for (int s = 0; s < RECORDS; s++) {
                want.put(record(t, s));
            }
            long fh = fs.open(path, OpenFlags.O_RDONLY);
            byte[] got = FsTreeReader.readAll(fs, fh, expectedOwn[t]);
            fs.release(fh);
            assertThat(got).as(path).isEqualTo(want.array());
        }
        assertThat(fs.getattr("/d/shared").size()).as("size of the shared file").isEqualTo(expectedShared);
        long fh = fs.open("/d/shared", OpenFlags.O_RDONLY);
        byte[] all = FsTreeReader.readAll(fs, fh, expectedShared);
        fs.release(fh);
        int[] nextSeq = new int[THREADS];
        ByteBuffer b = ByteBuffer.wrap(all);
        int count = 0;
        while (b.hasRemaining()) {
            int at = b.position();
            assertThat(b.remaining()).as("record header at " + at).isGreaterThanOrEqualTo(HEADER + 4);
            assertThat(b.getInt()).as("magic at " + at).isEqualTo(MAGIC);
            int thread = b.getInt();
            int seq = b.getInt();
            int len = b.getInt();
            assertThat(thread).as("thread at " + at).isBetween(0, THREADS - 1);
            assertThat(seq).as("sequence of thread " + thread + " at " + at).isEqualTo(nextSeq[thread]);
            assertThat(len).as("length at " + at).isEqualTo(payloadLength(thread, seq));
            byte[] want = record(thread, seq);
            byte[] got = new byte[want.length];
            b.position(at);
            b.get(got);
            assertThat(got).as("record " + thread + "/" + seq + " at " + at).isEqualTo(want);
            nextSeq[thread]++;
            count++;
        }
        assertThat(count).isEqualTo(THREADS * RECORDS);
        for (int t = 0; t < THREADS; t++) {
            assertThat(nextSeq[t]).as("records of thread " + t).isEqualTo(RECORDS);
        }
        assertThat(fs.bytesStored()).isEqualTo(expectedShared + java.util.Arrays.stream(expectedOwn).sum());
    }

    @Test
    void exactlyOneExclusiveCreatorWinsPerName() throws Exception {
        int threads = 8;
        int names = 300;
        AtomicIntegerArray winners = new AtomicIntegerArray(names);
        AtomicIntegerArray exists = new AtomicIntegerArray(names);
        ConcurrentHashMap<Integer, Integer> winnerOf = new ConcurrentHashMap<>();
        try (LocalFileSystem fs = LocalFileSystem.open(config())) {
            fs.mkdir("/x", 0755, Caller.ROOT);
            for (int n = 0; n < names; n += 3) {
                fs.mkdir("/x/d" + n, 0755, Caller.ROOT);
            }
            CyclicBarrier barrier = new CyclicBarrier(threads);
            List<Callable<Void>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                work.add(() -> {
                    for (int n = 0; n < names; n++) {
                        if (n % 10 == 0) {
                            barrier.await();
                        }
                        try {
                            long fh = fs.create(path(n), 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY, Caller.ROOT);
                            winners.incrementAndGet(n);
                            winnerOf.put(n, thread);
                            fs.write(fh, 0, ByteBuffer.wrap(new byte[] {(byte) thread}));
                            fs.release(fh);
                        } catch (FsException.Exists e) {
                            assertThat(e.errno()).isEqualTo(Errno.EEXIST);
                            exists.incrementAndGet(n);
                        }
                    }
                    return null;
                });
            }
            runAll(work);
            for (int n = 0; n < names; n++) {
                assertThat(winners.get(n)).as("winners of " + path(n)).isEqualTo(1);
                assertThat(exists.get(n)).as("EEXIST for " + path(n)).isEqualTo(threads - 1);
                long fh = fs.open(path(n), OpenFlags.O_RDONLY);
                assertThat(FsTreeReader.readAll(fs, fh, 1)).as(path(n)).containsExactly(winnerOf.get(n).byteValue());
                fs.release(fh);
                assertThat(fs.getattr(path(n)).nlink()).isEqualTo(1);
            }
            assertThat(FsTreeReader.list(fs, "/x")).hasSize(names / 2 + names / 3);
        }
    }

    private static String path(int n) {
        return n % 2 == 0 ? "/x/f" + n : "/x/d" + (n / 3 * 3) + "/f" + n;
    }

    private static void runAll(List<Callable<Void>> work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(work.size());
        try {
            List<Future<Void>> fs = pool.invokeAll(work);
            for (Future<Void> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
