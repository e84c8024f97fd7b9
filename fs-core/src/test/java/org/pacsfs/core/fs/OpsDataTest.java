package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** open, read, write, truncate, flush, release: contents byte for byte, and every error. */
class OpsDataTest {
    static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    LocalFileSystem fs;

    LocalFileSystem open(FsConfig cfg) throws FsException {
        fs = LocalFileSystem.open(cfg);
        return fs;
    }

    LocalFileSystem open() throws FsException {
        return open(FsConfig.defaults(dir).withIndexSize(10_000, 100_000));
    }

    @AfterEach
    void close() throws Exception {
        if (fs != null) {
            fs.close();
        }
    }

    static void assertErrno(Errno expected, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(expected));
    }

    static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    long create(String path) throws FsException {
        return fs.create(path, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
    }

    byte[] read(long fh, long offset, int len) throws FsException {
        ByteBuffer b = ByteBuffer.allocate(len);
        int n = fs.read(fh, offset, b);
        assertThat(n).isEqualTo(b.position());
        return Arrays.copyOf(b.array(), n);
    }

    byte[] readAll(String path) throws FsException {
        long fh = fs.open(path, OpenFlags.O_RDONLY);
        try {
            return read(fh, 0, (int) fs.getattr(path).size());
        } finally {
            fs.release(fh);
        }
    }

    String text(String path) throws FsException {
        return new String(readAll(path), StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ read / write

    @Test
    void writeThenReadAtOffsets() throws Exception {
        open();
        long fh = create("/f");
        assertThat(fs.write(fh, 0, utf8("hello world"))).isEqualTo(11);
        assertThat(fs.getattr(fh).size()).isEqualTo(11);
        assertThat(new String(read(fh, 6, 5), StandardCharsets.UTF_8)).isEqualTo("world");
        assertThat(new String(read(fh, 6, 100), StandardCharsets.UTF_8)).isEqualTo("world"); // short at EOF
        assertThat(read(fh, 11, 10)).isEmpty();
        assertThat(read(fh, 1000, 10)).isEmpty();
        assertThat(fs.read(fh, 0, ByteBuffer.allocate(0))).isZero();
        assertThat(fs.write(fh, 5, ByteBuffer.allocate(0))).isZero();
        assertThat(fs.getattr(fh).size()).isEqualTo(11);
        // the buffer position is honoured and advanced
        ByteBuffer dst = ByteBuffer.allocate(8).position(3);
        assertThat(fs.read(fh, 0, dst)).isEqualTo(5);
        assertThat(dst.position()).isEqualTo(8);
        assertThat(Arrays.copyOfRange(dst.array(), 3, 8)).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
        ByteBuffer src = utf8("xxHIyy").position(2).limit(4);
        assertThat(fs.write(fh, 0, src)).isEqualTo(2);
        assertThat(src.hasRemaining()).isFalse();
        fs.release(fh);
        assertThat(text("/f")).isEqualTo("HIllo world");
    }

    @Test
    void writePastEndLeavesAHoleOfZeros() throws Exception {
        open();
        long fh = create("/f");
        fs.write(fh, 0, utf8("ab"));
        fs.write(fh, 10, utf8("cd"));
        assertThat(fs.getattr(fh).size()).isEqualTo(12);
        assertThat(read(fh, 0, 12)).containsExactly('a', 'b', 0, 0, 0, 0, 0, 0, 0, 0, 'c', 'd');
        // a hole spanning whole blocks
        fs.write(fh, 5L * MIB + 3, utf8("z"));
        assertThat(fs.getattr(fh).size()).isEqualTo(5L * MIB + 4);
        byte[] all = read(fh, 0, 5 * MIB + 4);
        for (int i = 12; i < 5 * MIB + 3; i++) {
            if (all[i] != 0) {
                throw new AssertionError("byte " + i + " of the hole is " + all[i]);
            }
        }
        assertThat(all[5 * MIB + 3]).isEqualTo((byte) 'z');
        // a file that is all hole
        long g = create("/g");
        fs.write(g, 2 * MIB, ByteBuffer.allocate(0));
        fs.truncate(g, 3 * MIB);
        assertThat(read(g, MIB - 2, 4)).containsExactly(0, 0, 0, 0);
        fs.release(g);
        fs.release(fh);
    }

    @Test
    void overwritesSplitExtents() throws Exception {
        open();
        long fh = create("/f");
        fs.write(fh, 0, utf8("AAAAAAAAAAAAAAAAAAAA")); // 20
        fs.write(fh, 5, utf8("BBB"));
        fs.write(fh, 12, utf8("CC"));
        assertThat(new String(read(fh, 0, 20), StandardCharsets.UTF_8)).isEqualTo("AAAAABBBAAAACCAAAAAA");
        fs.write(fh, 6, utf8("DDDDDDDDD")); // over B, A and C pieces
        assertThat(new String(read(fh, 0, 20), StandardCharsets.UTF_8)).isEqualTo("AAAAABDDDDDDDDDAAAAA");
        fs.write(fh, 18, utf8("EEEE")); // overlapping the end extends
        assertThat(new String(read(fh, 0, 30), StandardCharsets.UTF_8)).isEqualTo("AAAAABDDDDDDDDDAAAEEEE");
        fs.write(fh, 0, utf8("F"));
        assertThat(new String(read(fh, 0, 30), StandardCharsets.UTF_8)).isEqualTo("FAAAABDDDDDDDDDAAAEEEE");
        fs.release(fh);
    }

    @Test
    void overwriteAcrossABlockBoundary() throws Exception {
        open();
        byte[] model = random(3 * MIB, 1);
        long fh = create("/f");
        fs.write(fh, 0, ByteBuffer.wrap(model));
        byte[] patch = random(10_000, 2);
        int at = MIB - 4_000;
        fs.write(fh, at, ByteBuffer.wrap(patch));
        System.arraycopy(patch, 0, model, at, patch.length);
        assertThat(read(fh, 0, 3 * MIB)).isEqualTo(model);
        assertThat(read(fh, MIB - 1, 2)).containsExactly(model[MIB - 1], model[MIB]);
        fs.release(fh);
    }

    @Test
    void largeWritesSpanningSeveralBlocks() throws Exception {
        open();
        long fh = create("/f");
        byte[] data = random(3 * MIB + 12_345, 3); // more than one write record, unaligned start
        int at = 700_001;
        assertThat(fs.write(fh, at, ByteBuffer.wrap(data))).isEqualTo(data.length);
        assertThat(fs.getattr(fh).size()).isEqualTo(at + data.length);
        byte[] all = read(fh, 0, at + data.length);
        assertThat(Arrays.copyOfRange(all, 0, at)).isEqualTo(new byte[at]);
        assertThat(Arrays.copyOfRange(all, at, all.length)).isEqualTo(data);
        // read back in odd chunk sizes across block boundaries
        byte[] model = all;
        for (int chunk : new int[] {1, 4096, 131_072, 999_999}) {
            for (long off = MIB - chunk / 2 - 1; off < model.length; off += MIB) {
                byte[] got = read(fh, off, chunk);
                int expectLen = (int) Math.min(chunk, model.length - off);
                assertThat(got).isEqualTo(Arrays.copyOfRange(model, (int) off, (int) off + expectLen));
            }
        }
        fs.release(fh);
        assertThat(readAll("/f")).isEqualTo(model);
    }

    @Test
    void manySequentialTinyWritesIntoOneBlockStayExact() throws Exception {
        open();
        long fh = create("/f");
        byte[] model = new byte[400 * 7];
        for (int i = 0; i < 400; i++) {
            byte[] piece = random(7, 100 + i);
            System.arraycopy(piece, 0, model, i * 7, 7);
            fs.write(fh, i * 7L, ByteBuffer.wrap(piece));
            if (i % 50 == 0 || i == 129 || i == 130) {
                assertThat(read(fh, 0, (i + 1) * 7)).isEqualTo(Arrays.copyOf(model, (i + 1) * 7));
            }
        }
        assertThat(read(fh, 0, model.length)).isEqualTo(model);
        fs.release(fh);
        assertThat(readAll("/f")).isEqualTo(model);
    }

    @Test
    void manyScatteredTinyWritesWithHolesStayExact() throws Exception {
        open();
        long fh = create("/f");
        int size = MIB + 5000; // the last writes go into the second block too
        byte[] model = new byte[size];
        Random r = new Random(7);
        int written = 0;
        for (int i = 0; i < 600; i++) {
            int len = 1 + r.nextInt(20);
            int at = r.nextInt(size - len);
            if (i == 599) {
                at = size - len; // ensure the final size
            }
            byte[] piece = random(len, 1000 + i);
            System.arraycopy(piece, 0, model, at, len);
            fs.write(fh, at, ByteBuffer.wrap(piece));
            written = Math.max(written, at + len);
            if (i % 97 == 0) {
                assertThat(read(fh, 0, written)).isEqualTo(Arrays.copyOf(model, written));
            }
        }
        assertThat(fs.getattr(fh).size()).isEqualTo(size);
        assertThat(read(fh, 0, size)).isEqualTo(model);
        // overwrite the same small range many times (extents replace each other, never grow without bound)
        for (int i = 0; i < 300; i++) {
            byte[] piece = random(3, 5000 + i);
            System.arraycopy(piece, 0, model, 1000 + (i % 5), 3);
            fs.write(fh, 1000 + (i % 5), ByteBuffer.wrap(piece));
        }
        assertThat(read(fh, 0, size)).isEqualTo(model);
        fs.release(fh);
    }

    @Test
    void randomWritesAndTruncatesMatchAModel() throws Exception {
        open();
        long fh = create("/f");
        Random r = new Random(42);
        byte[] model = new byte[0];
        for (int step = 0; step < 300; step++) {
            int op = r.nextInt(10);
            if (op < 7) {
                int len = r.nextInt(10) == 0 ? r.nextInt(300_000) : r.nextInt(5000);
                int at = r.nextInt(3 * MIB);
                byte[] piece = random(len, step);
                fs.write(fh, at, ByteBuffer.wrap(piece));
                if (at + len > model.length && len > 0) {
                    model = Arrays.copyOf(model, at + len);
                }
                System.arraycopy(piece, 0, model, at, len);
            } else {
                int size = r.nextInt(3 * MIB);
                fs.truncate(fh, size);
                model = Arrays.copyOf(model, size);
            }
            assertThat(fs.getattr(fh).size()).as("size after step " + step).isEqualTo(model.length);
            if (step % 25 == 0) {
                assertThat(read(fh, 0, model.length)).as("contents after step " + step).isEqualTo(model);
            }
        }
        assertThat(read(fh, 0, model.length)).isEqualTo(model);
        fs.release(fh);
    }

    // ------------------------------------------------------------------ O_APPEND, O_TRUNC

    @Test
    void appendWritesGoToTheEnd() throws Exception {
        open();
        long w = create("/f");
        fs.write(w, 0, utf8("start-"));
        long a1 = fs.open("/f", OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        long a2 = fs.open("/f", OpenFlags.O_RDWR | OpenFlags.O_APPEND);
        fs.write(a1, 0, utf8("one-"));
        fs.write(a2, 2, utf8("two-"));
        fs.write(w, 0, utf8("S")); // a handle without O_APPEND still writes where it says
        fs.write(a1, 999, utf8("three"));
        assertThat(text("/f")).isEqualTo("Start-one-two-three");
        fs.release(a1);
        fs.release(a2);
        fs.release(w);
        long c = fs.create("/g", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_APPEND, Caller.ROOT);
        fs.write(c, 0, utf8("x"));
        fs.write(c, 0, utf8("y"));
        fs.release(c);
        assertThat(text("/g")).isEqualTo("xy");
    }

    @Test
    void openWithTruncEmptiesTheFile() throws Exception {
        open();
        long fh = create("/f");
        fs.write(fh, 0, ByteBuffer.wrap(random(2 * MIB, 9)));
        fs.release(fh);
        long ino = fs.getattr("/f").ino();
        long t = fs.open("/f", OpenFlags.O_WRONLY | OpenFlags.O_TRUNC);
        assertThat(fs.getattr("/f").size()).isZero();
        assertThat(fs.getattr("/f").ino()).isEqualTo(ino);
        assertThat(fs.bytesStored()).isZero();
        fs.write(t, 4, utf8("x"));
        fs.release(t);
        assertThat(readAll("/f")).containsExactly(0, 0, 0, 0, 'x');
    }

    // ------------------------------------------------------------------ truncate

    @Test
    void truncateShrinksAndGrowsWithZeros() throws Exception {
        open();
        long fh = create("/f");
        fs.write(fh, 0, utf8("0123456789"));
        fs.truncate("/f", 4);
        assertThat(fs.getattr("/f").size()).isEqualTo(4);
        assertThat(read(fh, 0, 100)).containsExactly('0', '1', '2', '3');
        fs.truncate("/f", 8);
        assertThat(read(fh, 0, 100)).containsExactly('0', '1', '2', '3', 0, 0, 0, 0);
        fs.truncate(fh, 2);
        fs.truncate(fh, 6);
        assertThat(read(fh, 0, 100)).containsExactly('0', '1', 0, 0, 0, 0);
        fs.truncate(fh, 6); // same size
        assertThat(read(fh, 0, 100)).containsExactly('0', '1', 0, 0, 0, 0);
        fs.truncate(fh, 0);
        assertThat(read(fh, 0, 100)).isEmpty();
        fs.truncate(fh, 3);
        assertThat(read(fh, 0, 100)).containsExactly(0, 0, 0);
        fs.release(fh);
        assertThat(fs.bytesStored()).isEqualTo(3);
    }

    @Test
    void shrinkThenGrowAcrossBlocksReadsZeros() throws Exception {
        open();
        long fh = create("/f");
        byte[] data = random(3 * MIB, 11);
        fs.write(fh, 0, ByteBuffer.wrap(data));
        int cut = MIB + MIB / 2 + 17;
        fs.truncate(fh, cut);
        fs.truncate(fh, 4L * MIB);
        byte[] all = read(fh, 0, 4 * MIB);
        assertThat(Arrays.copyOf(all, cut)).isEqualTo(Arrays.copyOf(data, cut));
        assertThat(Arrays.copyOfRange(all, cut, all.length)).isEqualTo(new byte[4 * MIB - cut]);
        // grow by writing past the end after a shrink
        fs.truncate(fh, 100);
        fs.write(fh, 2L * MIB, utf8("end"));
        byte[] again = read(fh, 0, 2 * MIB + 3);
        assertThat(Arrays.copyOf(again, 100)).isEqualTo(Arrays.copyOf(data, 100));
        assertThat(Arrays.copyOfRange(again, 100, 2 * MIB)).isEqualTo(new byte[2 * MIB - 100]);
        fs.release(fh);
    }

    @Test
    void truncateErrors() throws Exception {
        open();
        fs.mkdir("/d", 0755, Caller.ROOT);
        fs.symlink("/f", "/s", Caller.ROOT);
        long fh = create("/f");
        fs.write(fh, 0, utf8("abc"));
        assertErrno(Errno.EINVAL, () -> fs.truncate("/f", -1));
        assertErrno(Errno.EINVAL, () -> fs.truncate(fh, -1));
        assertErrno(Errno.EISDIR, () -> fs.truncate("/d", 0));
        assertErrno(Errno.ENOENT, () -> fs.truncate("/missing", 0));
        assertErrno(Errno.EBADF, () -> fs.truncate(98765L, 0));
        fs.release(fh);
        assertErrno(Errno.EBADF, () -> fs.truncate(fh, 0));
        assertThat(text("/f")).isEqualTo("abc");
    }

    // ------------------------------------------------------------------ handles

    @Test
    void wrongModeAndStaleHandlesAreEbadf() throws Exception {
        open();
        long c = create("/f");
        fs.write(c, 0, utf8("data"));
        fs.release(c);
        long ro = fs.open("/f", OpenFlags.O_RDONLY);
        long wo = fs.open("/f", OpenFlags.O_WRONLY);
        assertErrno(Errno.EBADF, () -> fs.write(ro, 0, utf8("x")));
        assertErrno(Errno.EBADF, () -> fs.read(wo, 0, ByteBuffer.allocate(4)));
        assertErrno(Errno.EINVAL, () -> fs.read(ro, -1, ByteBuffer.allocate(4)));
        assertErrno(Errno.EINVAL, () -> fs.write(wo, -1, utf8("x")));
        fs.release(ro);
        fs.release(wo);
        for (long stale : new long[] {ro, wo, 424242L}) {
            assertErrno(Errno.EBADF, () -> fs.read(stale, 0, ByteBuffer.allocate(4)));
            assertErrno(Errno.EBADF, () -> fs.write(stale, 0, utf8("x")));
            assertErrno(Errno.EBADF, () -> fs.flush(stale));
            assertErrno(Errno.EBADF, () -> fs.release(stale));
            assertErrno(Errno.EBADF, () -> fs.fsync(stale, false));
            assertErrno(Errno.EBADF, () -> fs.getattr(stale));
        }
        long dh = fs.opendir("/");
        assertErrno(Errno.EBADF, () -> fs.read(dh, 0, ByteBuffer.allocate(4))); // a directory handle is not a file handle
        fs.releasedir(dh);
        assertThat(text("/f")).isEqualTo("data");
    }

    @Test
    void openErrors() throws Exception {
        open();
        fs.mkdir("/d", 0755, Caller.ROOT);
        assertErrno(Errno.EISDIR, () -> fs.open("/d", OpenFlags.O_WRONLY));
        assertErrno(Errno.EISDIR, () -> fs.open("/d", OpenFlags.O_RDWR));
        assertErrno(Errno.ENOENT, () -> fs.open("/missing", OpenFlags.O_RDONLY));
        assertErrno(Errno.ENOENT, () -> fs.open("/d/missing", OpenFlags.O_RDONLY));
        long fh = fs.open("/d", OpenFlags.O_RDONLY);
        assertErrno(Errno.EISDIR, () -> fs.read(fh, 0, ByteBuffer.allocate(1)));
        fs.release(fh);
    }

    @Test
    void flushKeepsTheHandleOpen() throws Exception {
        open();
        long fh = create("/f");
        fs.write(fh, 0, utf8("a"));
        fs.flush(fh);
        fs.flush(fh);
        fs.write(fh, 1, utf8("b"));
        fs.fsync(fh, true);
        fs.fsync(fh, false);
        fs.release(fh);
        assertThat(text("/f")).isEqualTo("ab");
    }

    // ------------------------------------------------------------------ unlink while open

    @Test
    void unlinkedFileStaysUsableThroughItsHandlesUntilTheLastRelease() throws Exception {
        open();
        long baseFree = fs.statfs().freeBlocks();
        long fh = create("/f");
        byte[] data = random(MIB + 100, 5);
        fs.write(fh, 0, ByteBuffer.wrap(data));
        long other = fs.open("/f", OpenFlags.O_RDONLY);
        long inodes = fs.inodeCount();
        fs.unlink("/f");
        assertThat(fs.getattr(fh).nlink()).isZero();
        assertErrno(Errno.ENOENT, () -> fs.getattr("/f"));
        assertErrno(Errno.ENOENT, () -> fs.open("/f", OpenFlags.O_RDONLY));
        assertThat(read(fh, 0, data.length)).isEqualTo(data);
        fs.write(fh, data.length, utf8("more"));
        fs.truncate(fh, data.length + 4L);
        assertThat(fs.getattr(other).size()).isEqualTo(data.length + 4L);
        assertThat(new String(read(other, data.length, 10), StandardCharsets.UTF_8)).isEqualTo("more");
        assertThat(fs.bytesStored()).isEqualTo(data.length + 4L);
        assertThat(fs.statfs().freeBlocks()).isLessThan(baseFree);
        // a new file with the same name is another file
        long g = create("/f");
        assertThat(fs.getattr(g).ino()).isNotEqualTo(fs.getattr(fh).ino());
        fs.release(g);
        fs.release(fh);
        assertThat(read(other, 0, 3)).containsExactly(data[0], data[1], data[2]);
        assertThat(fs.inodeCount()).isEqualTo(inodes + 1);
        fs.release(other);
        assertThat(fs.inodeCount()).isEqualTo(inodes);
        assertErrno(Errno.EBADF, () -> fs.getattr(other));
        assertThat(fs.bytesStored()).isZero();
        assertThat(fs.statfs().freeBlocks()).isEqualTo(baseFree);
        assertThat(fs.getattr("/f").size()).isZero();
    }

    // ------------------------------------------------------------------ capacity

    @Test
    void writesBeyondCapacityAreEnospcAndChangeNothing() throws Exception {
        open(FsConfig.defaults(dir).withIndexSize(10_000, 100_000).withCapacityBytes(2L * MIB));
        long fh = create("/f");
        byte[] data = random(2 * MIB, 3);
        fs.write(fh, 0, ByteBuffer.wrap(data));
        assertThat(fs.statfs().freeBlocks()).isZero();
        assertErrno(Errno.ENOSPC, () -> fs.write(fh, 2L * MIB, utf8("x")));
        assertErrno(Errno.ENOSPC, () -> fs.truncate(fh, 2L * MIB + 1));
        long g = create("/g");
        assertErrno(Errno.ENOSPC, () -> fs.write(g, 0, utf8("y")));
        // overwriting within the size needs no space
        fs.write(fh, 10, utf8("over"));
        System.arraycopy("over".getBytes(StandardCharsets.UTF_8), 0, data, 10, 4);
        assertThat(fs.getattr(fh).size()).isEqualTo(2L * MIB);
        assertThat(read(fh, 0, 2 * MIB)).isEqualTo(data);
        // space comes back when the file shrinks
        fs.truncate(fh, MIB);
        fs.write(g, 0, utf8("y"));
        assertThat(fs.bytesStored()).isEqualTo(MIB + 1L);
        fs.release(fh);
        fs.release(g);
    }

    @Test
    void aLargeWriteThatDoesNotFitChangesNothing() throws Exception {
        // ENOSPC means "nothing was changed" (FsException.NoSpace), also for a write of several records
        open(FsConfig.defaults(dir).withIndexSize(10_000, 100_000).withCapacityBytes(2L * MIB));
        long fh = create("/f");
        assertErrno(Errno.ENOSPC, () -> fs.write(fh, 0, ByteBuffer.wrap(random(3 * MIB, 1))));
        assertThat(fs.getattr(fh).size()).isZero();
        assertThat(fs.bytesStored()).isZero();
        fs.release(fh);
    }
}
