package org.pacsfs.it;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One process of the load of {@link LoadIT}: THREADS threads that write, append, read and list on the mount for a
 * while, verifying every byte read. Contents are a pure function of the file name and offset, so any thread of any
 * process can verify any file it finds: a completed study file {@code IM-<id>-<size>.dcm} (written under a temporary
 * name, fsynced, closed, then renamed into place, as a PACS does) must hold exactly {@code size} bytes of its pattern;
 * a growing log {@code log-<id>} must hold a prefix of its pattern.
 *
 * <p>Usage: {@code LoadWorker MOUNT PROCESS THREADS SECONDS}. Prints one line {@code RESULT ...} and exits 0, or
 * prints the first error and exits 1.
 */
public final class LoadWorker {
    private static final int BYTES_PER_THREAD_PER_SECOND = 384 << 10;
    private final Path mnt;
    private final int proc;
    private final long deadline;
    final AtomicLong ops = new AtomicLong();
    final AtomicLong written = new AtomicLong();
    final AtomicLong verified = new AtomicLong();
    final AtomicLong listed = new AtomicLong();
    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();

    private LoadWorker(Path mnt, int proc, long seconds) {
        this.mnt = mnt;
        this.proc = proc;
        this.deadline = System.nanoTime() + seconds * 1_000_000_000L;
    }

    public static void main(String[] args) throws Exception {
        Path mnt = Path.of(args[0]);
        int proc = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        LoadWorker w = new LoadWorker(mnt, proc, Long.parseLong(args[3]));
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> w.run(id), "load-" + proc + "-" + t);
            th.start();
            all.add(th);
        }
        for (Thread th : all) {
            th.join();
        }
        System.out.printf("RESULT process=%d ops=%d written=%d verified=%d listed=%d errors=%d%n", proc, w.ops.get(), w.written.get(),
                w.verified.get(), w.listed.get(), w.errors.size());
        if (!w.errors.isEmpty()) {
            System.out.println("FIRST ERROR " + w.errors.peek());
            System.exit(1);
        }
    }

    private void run(int thread) {
        Random random = new Random(proc * 1000L + thread);
        String me = proc + "-" + thread;
        Path log = mnt.resolve("logs").resolve("log-" + me);
        List<Path> mine = new ArrayList<>();
        long started = System.nanoTime();
        int n = 0;
        try {
            for (int d = 0; d < 6; d++) {
                Files.createDirectories(mnt.resolve("study-" + d)); // any thread writes into any of them
            }
            Files.createDirectories(log.getParent());
            while (System.nanoTime() < deadline) {
                int dice = random.nextInt(100);
                if (dice < 35) {
                    mine.add(writeStudyFile(mnt.resolve("study-" + random.nextInt(6)), me + "-" + n++, random));
                } else if (dice < 55) {
                    append(log, random);
                } else if (dice < 80) {
                    readSomeone(random);
                } else if (dice < 92) {
                    listAll(random);
                } else if (!mine.isEmpty()) {
                    Files.delete(mine.remove(random.nextInt(mine.size()))); // the archive's retention removes old studies
                }
                ops.incrementAndGet();
                pace(started, thread);
            }
        } catch (Exception | AssertionError e) {
            errors.add(Thread.currentThread().getName() + ": " + e);
            e.printStackTrace(System.out);
        }
    }

    /** Keeps each thread at about BYTES_PER_THREAD_PER_SECOND, so that the run measures steady load, not a burst. */
    private void pace(long started, int thread) throws InterruptedException {
        long due = (long) ((double) written.get() / (BYTES_PER_THREAD_PER_SECOND * 8.0) * 1e9); // 8 threads of a process
        long ahead = due - (System.nanoTime() - started);
        if (ahead > 0) {
            Thread.sleep(Math.min(ahead / 1_000_000 + 1, 500));
        }
    }

    private Path writeStudyFile(Path dir, String id, Random random) throws IOException {
        int size = random.nextInt(10) == 0 ? random.nextInt(8 << 20) : 4096 + random.nextInt(512 << 10);
        String name = "IM-" + id + "-" + size + ".dcm";
        Path tmp = dir.resolve(".tmp-" + name);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int off = 0; off < size; off += 128 << 10) {
                int len = Math.min(128 << 10, size - off);
                ByteBuffer b = ByteBuffer.wrap(pattern(name, off, len));
                while (b.hasRemaining()) {
                    ch.write(b, off + b.position());
                }
            }
            ch.force(true);
        }
        Path target = dir.resolve(name);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        written.addAndGet(size);
        return target;
    }

    private void append(Path log, Random random) throws IOException {
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            long at = ch.size();
            int len = 100 + random.nextInt(16 << 10);
            ByteBuffer b = ByteBuffer.wrap(pattern(log.getFileName().toString(), at, len));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            if (random.nextBoolean()) {
                ch.force(false);
            }
            written.addAndGet(len);
        }
    }

    /** Reads a file of any thread of any process and checks every byte. */
    private void readSomeone(Random random) throws IOException {
        List<Path> candidates = new ArrayList<>();
        Path dir = random.nextInt(3) == 0 ? mnt.resolve("logs") : mnt.resolve("study-" + random.nextInt(6));
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (!p.getFileName().toString().startsWith(".tmp-")) {
                    candidates.add(p);
                }
            }
        }
        if (candidates.isEmpty()) {
            return;
        }
        Path p = candidates.get(random.nextInt(candidates.size()));
        String name = p.getFileName().toString();
        byte[] got;
        try {
            got = Files.readAllBytes(p);
        } catch (NoSuchFileException deleted) {
            return; // removed by its writer between the listing and the read
        }
        if (name.startsWith("IM-")) {
            long size = Long.parseLong(name.substring(name.lastIndexOf('-') + 1, name.length() - 4));
            if (got.length != size) {
                throw new AssertionError(p + ": " + got.length + " bytes, expected " + size);
            }
        }
        byte[] want = pattern(name, 0, got.length);
        for (int i = 0; i < got.length; i++) {
            if (got[i] != want[i]) {
                throw new AssertionError(p + ": wrong byte at offset " + i + " of " + got.length);
            }
        }
        verified.addAndGet(got.length);
    }

    /** Lists a directory: every completed study file has the size its name says. */
    private void listAll(Random random) throws IOException {
        Path dir = mnt.resolve("study-" + random.nextInt(6));
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                listed.incrementAndGet();
                if (!name.startsWith("IM-")) {
                    continue;
                }
                long size;
                try {
                    size = Files.size(p);
                } catch (NoSuchFileException deleted) {
                    continue;
                }
                long want = Long.parseLong(name.substring(name.lastIndexOf('-') + 1, name.length() - 4));
                if (size != want) {
                    throw new AssertionError(p + ": listed with " + size + " bytes, expected " + want);
                }
            }
        }
    }

    static byte[] pattern(String name, long offset, int len) {
        long seed = name.hashCode() * 0x9E3779B97F4A7C15L;
        byte[] b = new byte[len];
        long v = mix(seed + (offset >>> 3));
        for (int i = 0; i < len; i++) {
            long o = offset + i;
            if ((o & 7) == 0) {
                v = mix(seed + (o >>> 3));
            }
            b[i] = (byte) (v >>> ((o & 7) * 8));
        }
        return b;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
