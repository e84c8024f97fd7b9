package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * An fsx-style exerciser: random operations (writes at random offsets, appends, truncates up and down, reads, renames,
 * hard links, unlink of open files, fsync, close and reopen) applied to the mount and to a local directory side by
 * side, comparing what every read returns, the whole tree every 500 operations, and after an unmount and remount
 * (every {@code remountEvery} operations, with the open files closed first). Any difference fails with the seed and
 * the operation number, so it can be replayed: -Dpacsfs.fsx.seed=N -Dpacsfs.fsx.ops=M.
 */
@WithS3Proxy
@Timeout(1200)
class FsxIT {

    private static final long SEED = Long.getLong("pacsfs.fsx.seed", System.nanoTime());
    private static final int OPS = Integer.getInteger("pacsfs.fsx.ops", 4000);
    private static final int REMOUNT_EVERY = Integer.getInteger("pacsfs.fsx.remountEvery", 2000);
    private static final int FILES = 12;
    private static final int MAX_SIZE = 3 << 20;
    private static final boolean LINKS = Boolean.parseBoolean(System.getProperty("pacsfs.fsx.links", "true"));
    /** Inodes (of the reference) that ever had several names: the limits of libfuse 2 for hard links apply to them. */
    private static final java.util.Set<Long> linkedInodes = new java.util.HashSet<>();
    /** The last operations, for the failure message. */
    private static final java.util.ArrayDeque<String> trace = new java.util.ArrayDeque<>();

    private static void trace(String s) {
        if (trace.size() == 400) {
            trace.removeFirst();
        }
        trace.addLast(s);
    }

    /** One open file: the same file opened on both sides. */
    private record Open(String name, FileChannel mount, FileChannel local, boolean append, long ino) {
    }

    @Test
    void randomOperationsMatchALocalDirectory(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("fsx");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Path ref = Files.createDirectories(work.resolve("reference"));
        Random random = new Random(SEED);
        List<Open> open = new ArrayList<>();
        PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create");
        long bytesCompared = 0;
        int op = 0;
        try {
            for (String d : List.of("a", "b")) {
                Files.createDirectories(mnt.resolve(d));
                Files.createDirectories(ref.resolve(d));
            }
            for (op = 1; op <= OPS; op++) {
                String name = (random.nextBoolean() ? "a/" : "b/") + "f" + random.nextInt(FILES);
                int kind = random.nextInt(100);
                if (kind < 25) {
                    write(random, open, mnt, ref, name, false);
                } else if (kind < 38) {
                    write(random, open, mnt, ref, name, true);
                } else if (kind < 48) {
                    truncate(random, mnt, ref, name);
                } else if (kind < 63) {
                    bytesCompared += compareFile(mnt, ref, name, op);
                } else if (kind < 68) {
                    rename(mnt, ref, name, (random.nextBoolean() ? "a/" : "b/") + "f" + random.nextInt(FILES));
                } else if (kind < 71) {
                    if (LINKS) link(mnt, ref, name, (random.nextBoolean() ? "a/" : "b/") + "f" + random.nextInt(FILES));
                } else if (kind < 76) {
                    unlink(mnt, ref, name);
                } else if (kind < 84) {
                    if (!open.isEmpty()) {
                        Open o = open.get(random.nextInt(open.size()));
                        o.mount().force(random.nextBoolean());
                    }
                } else if (kind < 92) {
                    if (!open.isEmpty()) {
                        Open o = open.remove(random.nextInt(open.size()));
                        trace("close " + o.name() + " ino " + o.ino());
                        o.mount().close();
                        o.local().close();
                    }
                } else {
                    bytesCompared += readOpen(random, open, op);
                }
                if (op % 500 == 0) {
                    bytesCompared += compareTrees(mnt, ref, op);
                }
                if (op % REMOUNT_EVERY == 0 && op < OPS) {
                    closeAll(open);
                    trace("remount");
                    mount.unmount();
                    mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"));
                    bytesCompared += compareTrees(mnt, ref, op);
                }
            }
            closeAll(open);
            bytesCompared += compareTrees(mnt, ref, op);
            mount.unmount();
            // A new machine: an empty cache directory sees the same tree.
            mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-fresh"));
            bytesCompared += compareTrees(mnt, ref, op);
            mount.unmount();
            System.out.printf("fsx: seed %d, %d operations, %d bytes compared, %d remounts%n", SEED, OPS, bytesCompared,
                    OPS / REMOUNT_EVERY + 1);
        } catch (AssertionError | IOException e) {
            StringBuilder t = new StringBuilder();
            String failing = e.getMessage() == null ? "" : e.getMessage();
            for (String line : trace) {
                t.append(line).append('\n');
            }
            throw new AssertionError("fsx seed " + SEED + ", operation " + op + ": " + failing + "\nlast operations:\n" + t
                    + "linked inodes: " + linkedInodes + "\nmount log:\n" + mount.log(), e);
        } finally {
            for (Open o : open) {
                o.mount().close();
                o.local().close();
            }
            mount.close();
        }
    }

    private static Open openOrReuse(Random random, List<Open> open, Path mnt, Path ref, String name, boolean append) throws IOException {
        for (Open o : open) {
            if (o.name().equals(name) && random.nextInt(4) != 0 && o.append() == append) {
                return o;
            }
        }
        StandardOpenOption[] options = append
                ? new StandardOpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND}
                : new StandardOpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE};
        FileChannel m = FileChannel.open(mnt.resolve(name), options);
        FileChannel l = FileChannel.open(ref.resolve(name), options);
        Open o = new Open(name, m, l, append, ino(ref.resolve(name)));
        trace("open " + name + " ino " + o.ino() + (append ? " append" : ""));
        if (open.size() >= 16) {
            Open old = open.remove(0);
            old.mount().close();
            old.local().close();
        }
        open.add(o);
        return o;
    }

    private static void write(Random random, List<Open> open, Path mnt, Path ref, String name, boolean append) throws IOException {
        if (Files.exists(ref.resolve(name)) && Files.size(ref.resolve(name)) > MAX_SIZE) {
            return;
        }
        Open o = openOrReuse(random, open, mnt, ref, name, append);
        byte[] data = new byte[1 + random.nextInt(random.nextInt(10) == 0 ? 600_000 : 9_000)];
        random.nextBytes(data);
        trace((append ? "append " : "write ") + name + " ino " + o.ino() + " len " + data.length + (append ? "" : " handle size " + o.local().size()));
        if (append) {
            o.mount().write(ByteBuffer.wrap(data));
            o.local().write(ByteBuffer.wrap(data));
        } else {
            long size = o.local().size();
            long at = random.nextInt(10) == 0 ? size + random.nextInt(300_000) : (long) (random.nextDouble() * (size + 1));
            trace("  at " + at);
            writeFully(o.mount(), data, at);
            writeFully(o.local(), data, at);
        }
        if (!open.contains(o)) {
            o.mount().close();
            o.local().close();
        }
    }

    private static void writeFully(FileChannel ch, byte[] data, long at) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            at += ch.write(b, at);
        }
    }

    private static void truncate(Random random, Path mnt, Path ref, String name) throws IOException {
        if (!Files.exists(ref.resolve(name))) {
            return;
        }
        long size = Files.size(ref.resolve(name));
        long to = random.nextBoolean() ? (long) (random.nextDouble() * size) : size + random.nextInt(200_000);
        trace("truncate " + name + " ino " + ino(ref.resolve(name)) + " " + size + " -> " + to);
        if (to < size) {
            // RandomAccessFile.setLength is a plain ftruncate; FileChannel.truncate first compares with fstat's size and
            // skips the call if that is not larger, and fstat of a file with other names may lag by attr_timeout under
            // libfuse 2 (docs/SEMANTICS.md): the exerciser would then diverge by itself.
            try (java.io.RandomAccessFile m = new java.io.RandomAccessFile(mnt.resolve(name).toFile(), "rw");
                 java.io.RandomAccessFile l = new java.io.RandomAccessFile(ref.resolve(name).toFile(), "rw")) {
                m.setLength(to);
                l.setLength(to);
            }
            return;
        }
        try (FileChannel m = FileChannel.open(mnt.resolve(name), StandardOpenOption.WRITE);
             FileChannel l = FileChannel.open(ref.resolve(name), StandardOpenOption.WRITE)) {
            if (to > size) {
                // Extend: a one-byte write at the end, as ftruncate up is not in FileChannel.
                m.write(ByteBuffer.wrap(new byte[] {7}), to - 1);
                l.write(ByteBuffer.wrap(new byte[] {7}), to - 1);
            }
        }
    }

    private static long compareFile(Path mnt, Path ref, String name, int op) throws IOException {
        boolean exists = Files.exists(ref.resolve(name));
        assertThat(Files.exists(mnt.resolve(name))).as("op %d: %s exists", op, name).isEqualTo(exists);
        if (!exists) {
            return 0;
        }
        byte[] expected = Files.readAllBytes(ref.resolve(name));
        byte[] actual = Files.readAllBytes(mnt.resolve(name));
        if (!Arrays.equals(expected, actual) && linkedInodes.contains(ino(ref.resolve(name)))) {
            // A file with several names: its attributes under this name may lag by attr_timeout (1 s).
            sleep(1100);
            actual = Files.readAllBytes(mnt.resolve(name));
        }
        if (!Arrays.equals(expected, actual)) {
            throw new AssertionError("op " + op + ": " + name + " differs: " + actual.length + " bytes, expected " + expected.length
                    + ", first difference at " + Arrays.mismatch(expected, actual));
        }
        return actual.length;
    }

    private static long readOpen(Random random, List<Open> open, int op) throws IOException {
        List<Open> readable = open.stream().filter(x -> !x.append()).toList();
        if (readable.isEmpty()) {
            return 0;
        }
        Open o = readable.get(random.nextInt(readable.size()));
        if (multiplyLinked(o)) {
            // libfuse 2 gives each name its own kernel inode: an open handle of a file with other names may keep old
            // pages and size for what was written through another name (docs/SEMANTICS.md, "Hard links").
            return 0;
        }
        long size = o.local().size();
        assertThat(o.mount().size()).as("op %d: size of open %s", op, o.name()).isEqualTo(size);
        int len = (int) Math.min(size, 1 + random.nextInt(300_000));
        long at = size == 0 ? 0 : (long) (random.nextDouble() * (size - len + 1));
        ByteBuffer m = ByteBuffer.allocate(len);
        ByteBuffer l = ByteBuffer.allocate(len);
        while (m.hasRemaining() && o.mount().read(m, at + m.position()) > 0) {
            // read fully
        }
        while (l.hasRemaining() && o.local().read(l, at + l.position()) > 0) {
            // read fully
        }
        if (!Arrays.equals(m.array(), l.array())) {
            throw new AssertionError("op " + op + ": read of open " + o.name() + " at " + at + " (" + len + " bytes) differs at "
                    + Arrays.mismatch(m.array(), l.array()));
        }
        return len;
    }

    private static void rename(Path mnt, Path ref, String from, String to) throws IOException {
        if (!Files.exists(ref.resolve(from)) || from.equals(to)) {
            return;
        }
        trace("rename " + from + " -> " + to);
        Files.move(mnt.resolve(from), mnt.resolve(to), StandardCopyOption.REPLACE_EXISTING);
        Files.move(ref.resolve(from), ref.resolve(to), StandardCopyOption.REPLACE_EXISTING);
    }

    private static void link(Path mnt, Path ref, String existing, String name) throws IOException {
        if (!Files.exists(ref.resolve(existing)) || Files.exists(ref.resolve(name))) {
            return;
        }
        trace("link " + existing + " ino " + ino(ref.resolve(existing)) + " as " + name);
        Files.createLink(mnt.resolve(name), mnt.resolve(existing));
        Files.createLink(ref.resolve(name), ref.resolve(existing));
        linkedInodes.add(ino(ref.resolve(existing)));
    }

    private static void unlink(Path mnt, Path ref, String name) throws IOException {
        try {
            Files.delete(ref.resolve(name));
        } catch (NoSuchFileException e) {
            assertThat(Files.exists(mnt.resolve(name))).isFalse();
            return;
        }
        trace("unlink " + name);
        Files.delete(mnt.resolve(name)); // open handles of it stay usable on both sides
    }

    private static long compareTrees(Path mnt, Path ref, int op) throws IOException {
        Map<String, Long> expected = listing(ref);
        Map<String, Long> actual = listing(mnt);
        if (!actual.equals(expected) && !linkedInodes.isEmpty()) {
            sleep(1100); // sizes of hard-linked files may lag by attr_timeout under their other names
            actual = listing(mnt);
        }
        assertThat(actual).as("op %d: tree (name -> size)", op).isEqualTo(expected);
        long bytes = 0;
        for (String name : expected.keySet()) {
            bytes += compareFile(mnt, ref, name, op);
        }
        return bytes;
    }

    private static Map<String, Long> listing(Path root) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p)) {
                    out.put(root.relativize(p).toString(), Files.size(p));
                }
            }
        }
        return out;
    }

    private static boolean multiplyLinked(Open o) {
        return linkedInodes.contains(o.ino());
    }

    private static long ino(Path p) throws IOException {
        return (Long) Files.getAttribute(p, "unix:ino");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeAll(List<Open> open) throws IOException {
        for (Open o : open) {
            o.mount().close();
            o.local().close();
        }
        open.clear();
    }

    @SuppressWarnings("unused")
    private static void createNew(Path p) throws IOException {
        try {
            Files.createFile(p);
        } catch (FileAlreadyExistsException ignored) {
            // fine
        }
    }
}
