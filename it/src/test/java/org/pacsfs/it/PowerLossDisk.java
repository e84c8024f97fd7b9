package org.pacsfs.it;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.pacsfs.core.store.BatchDeleteResult;
import org.pacsfs.core.store.ForwardingObjectStore;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;
import org.pacsfs.wal.ChannelFactory;

/**
 * The local disk of one filesystem state directory, as a power loss leaves it.
 *
 * <ul>
 * <li>The write-log's segment files are opened through {@link #walChannels()}: a file keeps what was on it when a
 * {@code force} began (a force does not cover bytes appended while it runs), followed by a torn last page (some of the
 * later bytes of that page, then garbage). A {@code .tmp} segment renamed into place keeps what was forced under either
 * name.</li>
 * <li>Every other file below {@code index/} and {@code cache/} is something the filesystem does not force while it
 * runs (the memory-mapped Chronicle Map index, the chunk cache's blocks): at the cut each one is left as is, or gets
 * pages of an older copy (taken by {@link #snapshotUnforcedFiles()} at a random moment) mixed with the newer pages, or
 * is truncated, has pages zeroed or filled with garbage, or is gone. That is at least as bad as any power loss (a page
 * of an mmap'd file is written back at some moment or not at all), so recovery must not trust any of it.</li>
 * <li>Files the filesystem writes with tmp + force + rename + directory force (the clean marker {@code index/CLEAN},
 * the state identity) survive as they are: those forces returned.</li>
 * </ul>
 */
final class PowerLossDisk {
    static final int PAGE = 4096;
    private final Path stateDir;
    private final Map<Path, byte[]> durable = new ConcurrentHashMap<>();
    private final Map<Path, byte[]> older = new HashMap<>();
    private final Set<Path> walAtCut = new java.util.HashSet<>();
    private final Map<Path, Path> nameAtCut = new HashMap<>();
    private volatile boolean cut;

    PowerLossDisk(Path stateDir) {
        this.stateDir = stateDir;
    }

    ChannelFactory walChannels() {
        return this::open;
    }

    private FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
        FileChannel real = FileChannel.open(path, options);
        if (!cut) {
            // Opened after a forced creation, a recovery (which forces), or as an empty uncommitted segment.
            durable.putIfAbsent(path, Files.readAllBytes(path));
        }
        return new Forwarding(real) {
            @Override
            public void force(boolean metaData) throws IOException {
                long covered = size();
                super.force(metaData);
                synchronized (PowerLossDisk.this) {
                    if (!cut) {
                        Path now = currentName(path);
                        byte[] content = Files.readAllBytes(now);
                        durable.put(path, Arrays.copyOf(content, (int) Math.min(covered, content.length)));
                    }
                }
            }
        };
    }

    /**
     * {@code store} as this machine reaches it: once the power is cut it sends nothing more (the test stops the
     * filesystem only after the cut, and what it would still ship was never sent by a machine without power).
     */
    ObjectStore poweredStore(ObjectStore store) {
        return new ForwardingObjectStore(store) {
            @Override
            public String put(String key, ByteBuffer body, PutCondition condition) {
                requirePower(key);
                return super.put(key, body, condition);
            }

            @Override
            public void delete(String key) {
                requirePower(key);
                super.delete(key);
            }

            @Override
            public BatchDeleteResult deleteAll(Collection<String> keys) {
                requirePower(keys.toString());
                return super.deleteAll(keys);
            }

            @Override
            public void close() {
                // the bucket's store outlives the sessions
            }
        };
    }

    private void requirePower(String key) {
        if (cut) {
            throw new ObjectStoreException.Transient("the machine has no power: nothing is sent for " + key, 0, null, null, null);
        }
    }

    /** A .tmp segment the log renamed into place is found under its final name. */
    private static Path currentName(Path opened) {
        String name = opened.getFileName().toString();
        if (!Files.exists(opened) && name.endsWith(".tmp")) {
            return opened.resolveSibling(name.substring(0, name.length() - 4));
        }
        return opened;
    }

    /** Copies the unforced files as they are now: their pages may be what the disk holds after the cut. */
    void snapshotUnforcedFiles() throws IOException {
        older.clear();
        for (Path p : unforcedFiles()) {
            try {
                older.put(p, Files.readAllBytes(p));
            } catch (java.nio.file.NoSuchFileException gone) {
                // evicted from the cache meanwhile
            }
        }
    }

    /**
     * The power fails now: nothing forced from here on counts, and no later creation, rename or deletion in the
     * write-log's directory either (the filesystem keeps running until the test stops it, as the kernel would not).
     */
    synchronized void powerCut() throws IOException {
        cut = true;
        try (Stream<Path> s = Files.list(stateDir.resolve("wal"))) {
            s.forEach(walAtCut::add);
        }
        for (Path opened : durable.keySet()) {
            Path name = currentName(opened);
            if (Files.exists(name)) {
                nameAtCut.put(opened, name);
            }
        }
    }

    /**
     * Rewrites the state directory as the disk holds it after the cut. Call after the filesystem let go of its files.
     *
     * @return how many files were changed
     */
    int loseUnforced(Random random) throws IOException {
        if (!cut) {
            throw new IllegalStateException("powerCut() first");
        }
        int changed = 0;
        try (Stream<Path> s = Files.list(stateDir.resolve("wal"))) {
            for (Path p : s.toList()) {
                if (!walAtCut.contains(p)) {
                    // created, or renamed into place, after the cut; a renamed file comes back under its old name below
                    Files.move(p, p.resolveSibling(p.getFileName() + ".after-cut"));
                }
            }
        }
        for (Map.Entry<Path, byte[]> e : durable.entrySet()) {
            changed += restoreWalFile(e.getKey(), e.getValue(), random) ? 1 : 0;
        }
        try (Stream<Path> s = Files.list(stateDir.resolve("wal"))) {
            for (Path p : s.toList()) {
                if (p.getFileName().toString().endsWith(".after-cut")) {
                    Files.delete(p);
                }
            }
        }
        for (Path p : unforcedFiles()) {
            changed += damage(p, random) ? 1 : 0;
        }
        return changed;
    }

    private boolean restoreWalFile(Path opened, byte[] forced, Random random) throws IOException {
        Path file = nameAtCut.get(opened);
        if (file == null) {
            return false; // deleted before the cut (the log deletes only segments it no longer needs)
        }
        if (!file.equals(opened) && durable.containsKey(file)) {
            return false; // the final name was opened (and is tracked) itself
        }
        byte[] now = contentNow(file, opened, forced);
        int pageEnd = (int) Math.min(now.length, ((long) forced.length / PAGE + 1) * PAGE);
        int unforced = Math.max(0, pageEnd - forced.length);
        int keep = random.nextBoolean() ? random.nextInt(unforced + 1) : 0;
        int garbage = random.nextInt(unforced - keep + 1);
        byte[] after = Arrays.copyOf(forced, forced.length + keep + garbage);
        System.arraycopy(now, forced.length, after, forced.length, keep);
        byte[] junk = new byte[garbage];
        random.nextBytes(junk);
        System.arraycopy(junk, 0, after, forced.length + keep, garbage);
        if (Files.exists(file) && Arrays.equals(after, now)) {
            return false;
        }
        Files.write(file, after);
        return true;
    }

    /** What the file named {@code file} at the cut holds now: renamed or deleted since, its bytes are found elsewhere. */
    private static byte[] contentNow(Path file, Path opened, byte[] forced) throws IOException {
        for (Path p : List.of(file, file.resolveSibling(file.getFileName() + ".after-cut"),
                opened.resolveSibling(currentName(opened).getFileName() + ".after-cut"))) {
            if (Files.exists(p)) {
                return Files.readAllBytes(p);
            }
        }
        return forced; // deleted after the cut: the deletion is lost, the file is back as forced
    }

    private boolean damage(Path p, Random random) throws IOException {
        if (!Files.exists(p)) {
            return false;
        }
        byte[] now = Files.readAllBytes(p);
        byte[] old = older.get(p);
        byte[] after;
        switch (random.nextInt(6)) {
            case 0 -> {
                return false; // every page was written back
            }
            case 1 -> after = mixPages(now, old == null ? new byte[0] : old, random); // some pages written back, some not
            case 2 -> after = Arrays.copyOf(now, now.length == 0 ? 0 : random.nextInt(now.length)); // size grew, data did not follow
            case 3 -> after = overwritePages(now, random, false);
            case 4 -> after = overwritePages(now, random, true);
            default -> {
                Files.delete(p); // created after the last directory force
                return true;
            }
        }
        Files.write(p, after);
        return true;
    }

    /** Each page from the older copy or the newer content; pages the older copy lacks become zeros or stay new. */
    private static byte[] mixPages(byte[] now, byte[] old, Random random) {
        byte[] out = now.clone();
        for (int at = 0; at < out.length; at += PAGE) {
            if (random.nextBoolean()) {
                int n = Math.min(PAGE, out.length - at);
                Arrays.fill(out, at, at + n, (byte) 0);
                if (at < old.length) {
                    System.arraycopy(old, at, out, at, Math.min(n, old.length - at));
                }
            }
        }
        return out;
    }

    private static byte[] overwritePages(byte[] now, Random random, boolean garbage) {
        byte[] out = now.clone();
        int pages = (out.length + PAGE - 1) / PAGE;
        for (int i = 0; i < Math.min(pages, 1 + random.nextInt(8)); i++) {
            int at = random.nextInt(pages) * PAGE;
            int n = Math.min(PAGE, out.length - at);
            byte[] fill = new byte[n];
            if (garbage) {
                random.nextBytes(fill);
            }
            System.arraycopy(fill, 0, out, at, n);
        }
        return out;
    }

    /** Files below index/ and cache/ that the filesystem does not write with a force (all but the marker and the lock). */
    private List<Path> unforcedFiles() throws IOException {
        List<Path> out = new java.util.ArrayList<>();
        for (String sub : List.of("index", "cache")) {
            Path dir = stateDir.resolve(sub);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            // The cache may be writing (tmp + rename) and evicting while the session runs: files come and go.
            Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult visitFile(Path p, java.nio.file.attribute.BasicFileAttributes attrs) {
                    String n = p.getFileName().toString();
                    if (attrs.isRegularFile() && !n.startsWith("CLEAN") && !n.equals("lock")) {
                        out.add(p);
                    }
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) {
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
            });
        }
        return out;
    }

    /** Forwards everything to another channel. */
    private static class Forwarding extends FileChannel {
        private final FileChannel d;

        Forwarding(FileChannel d) {
            this.d = d;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return d.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return d.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return d.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return d.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return d.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            d.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return d.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            d.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            d.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return d.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return d.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return d.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return d.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return d.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return d.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return d.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            d.close();
        }
    }
}
