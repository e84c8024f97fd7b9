package org.pacsfs.wal.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.pacsfs.wal.AppendResult;
import org.pacsfs.wal.WriteLog;
import org.pacsfs.wal.WriteLogConfig;

/**
 * The issue-3 speed targets, each WAL case next to its raw {@code FileChannel} baseline in the same directory
 * (system property {@code pacsfs.bench.dir}, set by {@link WalBenchmarkMain}). Payloads are heap buffers, as both
 * sides receive them; raw files rotate every 64 MiB like the log's segments, so neither side fills the disk.
 */
@OutputTimeUnit(TimeUnit.SECONDS)
public class WalBenchmark {
    static final long ROTATE = 64L << 20;

    static Path benchDir(String name) throws IOException {
        Path d = Path.of(System.getProperty("pacsfs.bench.dir", "target/bench")).resolve(name + "-" + System.nanoTime());
        return Files.createDirectories(d);
    }

    static void deleteTree(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static ByteBuffer randomPayload(int size) {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    /** One log for all threads of a trial; keeps about 128 MiB held by releasing as it goes. */
    @State(Scope.Benchmark)
    public static class Wal {
        Path dir;
        WriteLog log;
        final AtomicLong sinceRelease = new AtomicLong();

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = benchDir("wal");
            log = WriteLog.open(WriteLogConfig.defaults(dir));
        }

        void maybeRelease(long lsn, long bytes) throws IOException {
            if (sinceRelease.addAndGet(bytes) > (32L << 20)) {
                sinceRelease.set(0);
                log.release(Math.max(0, lsn - (96L << 20) / bytes));
            }
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            log.close();
            deleteTree(dir);
        }
    }

    /** A raw sequential writer that starts a new file every 64 MiB and deletes the previous one. */
    @State(Scope.Thread)
    public static class Raw {
        Path dir;
        FileChannel channel;
        Path file;
        long position;
        int files;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = benchDir("raw");
            rotate();
        }

        void rotate() throws IOException {
            if (channel != null) {
                channel.close();
                Files.delete(file);
            }
            file = dir.resolve("raw-" + files++);
            channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            position = 0;
        }

        void write(ByteBuffer src) throws IOException {
            if (position + src.remaining() > ROTATE) {
                rotate();
            }
            ByteBuffer b = src.duplicate();
            while (b.hasRemaining()) {
                position += channel.write(b, position);
            }
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
            deleteTree(dir);
        }
    }

    @State(Scope.Thread)
    public static class Payload1M {
        final ByteBuffer payload = randomPayload(1 << 20);
    }

    @State(Scope.Thread)
    public static class Payload4K {
        final ByteBuffer payload = randomPayload(4096);
    }

    // (a) sustained 1 MiB appends vs raw sequential writes.

    @Benchmark
    public long walAppend1MiB(Wal wal, Payload1M p) throws IOException {
        AppendResult r = wal.log.append((byte) 1, p.payload);
        wal.maybeRelease(r.lsn(), 1 << 20);
        return r.lsn();
    }

    @Benchmark
    public long rawWrite1MiB(Raw raw, Payload1M p) throws IOException {
        raw.write(p.payload);
        return raw.position;
    }

    /** Context for (a): the same raw writes made durable in the background-free way, a force every 16 MiB. */
    @Benchmark
    public long rawWrite1MiBForceEvery16MiB(Raw raw, Payload1M p) throws IOException {
        raw.write(p.payload);
        if (raw.position % (16L << 20) == 0) {
            raw.channel.force(false);
        }
        return raw.position;
    }

    // (b), (c) 4 KiB append + sync; thread count and mode come from WalBenchmarkMain.

    @Benchmark
    public long walAppendSync4KiB(Wal wal, Payload4K p) throws IOException {
        AppendResult r = wal.log.append((byte) 1, p.payload);
        wal.log.sync(r.lsn());
        wal.maybeRelease(r.lsn(), 4096);
        return r.lsn();
    }

    @Benchmark
    public long rawWriteForce4KiB(Raw raw, Payload4K p) throws IOException {
        raw.write(p.payload);
        raw.channel.force(false);
        return raw.position;
    }
}
