package org.pacsfs.core.fs.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.OpenFlags;

/**
 * The issue-4 speed targets, in process (no FUSE), each next to the same work done with java.nio on the local disk
 * in the same directory (the "local disk" anchor). A fresh filesystem per iteration keeps the write-log (which
 * holds everything until shipping to S3 exists) from filling up. Directory: system property pacsfs.bench.dir.
 */
@OutputTimeUnit(TimeUnit.SECONDS)
public class FsBenchmark {
    static final int SMALL = 4096;
    static final int SEQ = 128 * 1024;
    static final long READ_FILE = 256L << 20;

    static Path benchDir(String name) throws IOException {
        Path d = Path.of(System.getProperty("pacsfs.bench.dir", "target/bench")).resolve(name + "-" + System.nanoTime());
        return Files.createDirectories(d);
    }

    static void deleteTree(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static ByteBuffer random(int size) {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    static LocalFileSystem openFs(Path dir, long expectedFiles) throws FsException {
        return LocalFileSystem.open(FsConfig.defaults(dir).withIndexSize(expectedFiles, expectedFiles * 100)
                .withWalTuning(c -> c.withCapacityBytes(64L << 30)));
    }

    /** One filesystem shared by the threads of an iteration. */
    @State(Scope.Benchmark)
    public static class Fs {
        Path dir;
        LocalFileSystem fs;
        final AtomicInteger threadIds = new AtomicInteger();

        @Setup(Level.Iteration)
        public void open() throws Exception {
            dir = benchDir("fs");
            fs = openFs(dir, 1_000_000);
        }

        @TearDown(Level.Iteration)
        public void close() throws Exception {
            fs.close();
            deleteTree(dir);
        }
    }

    /** Per thread: its own directory and a counter for file names. */
    @State(Scope.Thread)
    public static class Creator {
        String dirPath;
        int n;
        final ByteBuffer data = random(SMALL);

        @Setup(Level.Iteration)
        public void mkdir(Fs s) throws Exception {
            dirPath = "/t" + s.threadIds.incrementAndGet();
            s.fs.mkdir(dirPath, 0755, Caller.ROOT);
            n = 0;
        }
    }

    @Benchmark
    public void createWrite4KiBClose(Fs s, Creator c) throws Exception {
        long fh = s.fs.create(c.dirPath + "/f" + c.n++, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, Caller.ROOT);
        s.fs.write(fh, 0, c.data.duplicate());
        s.fs.release(fh);
    }

    /** Per thread: one file written sequentially. */
    @State(Scope.Thread)
    public static class SeqWriter {
        long fh;
        long offset;
        final ByteBuffer data = random(SEQ);

        @Setup(Level.Iteration)
        public void create(Fs s) throws Exception {
            fh = s.fs.create("/seq" + s.threadIds.incrementAndGet(), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT);
            offset = 0;
        }
    }

    @Benchmark
    public void sequentialWrite128KiB(Fs s, SeqWriter w) throws Exception {
        s.fs.write(w.fh, w.offset, w.data.duplicate());
        w.offset += SEQ;
    }

    /** A 256 MiB file written just before the measurement, read at random 4 KiB-aligned offsets. */
    @State(Scope.Benchmark)
    public static class ReadFile {
        Path dir;
        LocalFileSystem fs;
        long fh;

        @Setup(Level.Trial)
        public void write() throws Exception {
            dir = benchDir("read");
            fs = openFs(dir, 10_000);
            long w = fs.create("/data", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
            ByteBuffer chunk = random(SEQ);
            for (long off = 0; off < READ_FILE; off += SEQ) {
                fs.write(w, off, chunk.duplicate());
            }
            fs.release(w);
            fh = fs.open("/data", OpenFlags.O_RDONLY);
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            fs.close();
            deleteTree(dir);
        }
    }

    @Benchmark
    public int randomRead4KiB(ReadFile f, ReaderBuffer b) throws Exception {
        long off = ThreadLocalRandom.current().nextLong(READ_FILE / SMALL) * SMALL;
        return f.fs.read(f.fh, off, b.buf.clear());
    }

    @State(Scope.Thread)
    public static class ReaderBuffer {
        final ByteBuffer buf = ByteBuffer.allocate(SMALL);
    }

    // ---------------------------------------------------------------- local-disk anchors (java.nio, same directory)

    @State(Scope.Thread)
    public static class RawDir {
        Path dir;
        int n;
        final ByteBuffer data = random(SMALL);

        @Setup(Level.Iteration)
        public void create() throws IOException {
            dir = benchDir("raw");
            n = 0;
        }

        @TearDown(Level.Iteration)
        public void delete() throws IOException {
            deleteTree(dir);
        }
    }

    @Benchmark
    public void rawCreateWrite4KiBClose(RawDir d) throws IOException {
        try (FileChannel ch = FileChannel.open(d.dir.resolve("f" + d.n++), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(d.data.duplicate());
        }
    }

    @State(Scope.Thread)
    public static class RawSeq {
        Path dir;
        FileChannel ch;
        final ByteBuffer data = random(SEQ);

        @Setup(Level.Iteration)
        public void open() throws IOException {
            dir = benchDir("rawseq");
            ch = FileChannel.open(dir.resolve("seq"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }

        @TearDown(Level.Iteration)
        public void close() throws IOException {
            ch.close();
            deleteTree(dir);
        }
    }

    @Benchmark
    public void rawSequentialWrite128KiB(RawSeq r) throws IOException {
        ByteBuffer b = r.data.duplicate();
        while (b.hasRemaining()) {
            r.ch.write(b);
        }
    }

    @State(Scope.Benchmark)
    public static class RawReadFile {
        Path dir;
        FileChannel ch;

        @Setup(Level.Trial)
        public void write() throws IOException {
            dir = benchDir("rawread");
            ch = FileChannel.open(dir.resolve("data"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
            ByteBuffer chunk = random(SEQ);
            for (long off = 0; off < READ_FILE; off += SEQ) {
                ch.write(chunk.duplicate(), off);
            }
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            ch.close();
            deleteTree(dir);
        }
    }

    @Benchmark
    public int rawRandomRead4KiB(RawReadFile f, ReaderBuffer b) throws IOException {
        long off = ThreadLocalRandom.current().nextLong(READ_FILE / SMALL) * SMALL;
        return f.ch.read(b.buf.clear(), off);
    }
}
