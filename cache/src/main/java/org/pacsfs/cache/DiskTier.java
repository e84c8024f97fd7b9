package org.pacsfs.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.OptionalInt;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk tier: one block file per chunk ({@link BlockFormat}) under {@code <dir>/<2 hex>/<32 hex>}, and an index of
 * them in memory, a Caffeine cache of file sizes bounded in bytes (W-TinyLFU) whose eviction deletes the file.
 *
 * <p><b>Restart:</b> the index is rebuilt by listing the directory (names and sizes only; no file is read), so it can
 * never disagree with the files after a crash. Contents are not trusted: every {@link #read} checks the block's
 * header and CRC32C, and a block that fails is deleted and reported as a miss.
 *
 * <p><b>Bounds:</b> the bytes of all blocks stay within {@code maxBytes} (after Caffeine's maintenance, which runs
 * on {@code maintenance}), and a write that would leave less than {@code minFreeRatio} of the disk free first
 * evicts enough blocks, or is skipped. Blocks are written to a temporary file and renamed, never synced: a block
 * torn by a power loss fails its CRC on the next read and is refetched.
 *
 * <p>Thread-safe.
 */
final class DiskTier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DiskTier.class);
    private static final String TMP = ".tmp";
    /**
     * {@code -Dpacsfs.cache.directIo=false} writes block files through the page cache even where direct I/O works (an
     * escape hatch for a filesystem that misbehaves with it, and for measuring the difference).
     */
    static final String DIRECT_IO_PROPERTY = "pacsfs.cache.directIo";

    private final Path dir;
    private final long maxBytes;
    private final double minFreeRatio;
    private final SpaceProbe space;
    private final Cache<ChunkKey, Integer> index;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final BlockWriter writer;
    final LongAdder corrupt = new LongAdder();
    final LongAdder skippedForSpace = new LongAdder();

    private DiskTier(Path dir, long maxBytes, double minFreeRatio, SpaceProbe space, Executor maintenance,
                     FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.writer = BlockWriter.open(dir, Boolean.parseBoolean(System.getProperty(DIRECT_IO_PROPERTY, "true")));
        this.maxBytes = maxBytes;
        this.minFreeRatio = minFreeRatio;
        this.space = space;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.index = Caffeine.newBuilder().maximumWeight(maxBytes).weigher((ChunkKey k, Integer size) -> size)
                .executor(maintenance).evictionListener((ChunkKey k, Integer size, RemovalCause cause) -> deleteFile(k)).build();
    }

    /** Opens (creating if needed) the disk tier in {@code dir}, taking its lock and rebuilding the index. */
    static DiskTier open(Path dir, long maxBytes, double minFreeRatio, SpaceProbe space, Executor maintenance) throws IOException {
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // held by this process: another filesystem instance uses the same directory
        }
        if (lock == null) {
            ch.close();
            throw new IOException("cache directory " + dir + " is in use by another pacsfs process");
        }
        DiskTier tier = new DiskTier(dir, maxBytes, minFreeRatio, space == null ? SpaceProbe.of(dir) : space, maintenance, ch, lock);
        tier.rebuild();
        return tier;
    }

    private void rebuild() throws IOException {
        long start = System.nanoTime();
        try (var subdirs = Files.newDirectoryStream(dir, p -> Files.isDirectory(p) && p.getFileName().toString().length() == 2)) {
            for (Path sub : subdirs) {
                try (var files = Files.newDirectoryStream(sub)) {
                    for (Path f : files) {
                        adopt(f);
                    }
                }
            }
        }
        index.cleanUp();
        LOG.info("chunk cache on disk: {} blocks, {} MiB, index rebuilt in {} ms", index.estimatedSize(),
                bytes() >> 20, (System.nanoTime() - start) / 1_000_000);
    }

    private void adopt(Path f) throws IOException {
        String name = f.getFileName().toString();
        ChunkKey key = ChunkKey.parseOrNull(name);
        long size = Files.size(f);
        if (key == null || !f.getParent().getFileName().toString().equals(name.substring(0, 2))
                || size < BlockFormat.HEADER_SIZE || size > Integer.MAX_VALUE) {
            Files.deleteIfExists(f); // a temporary file of an interrupted write, or not ours in a directory that is
            return;
        }
        index.put(key, (int) size);
    }

    /** The stored bytes of {@code key} (verified against the block's CRC32C), or null on a miss. */
    ByteBuffer read(ChunkKey key) {
        if (index.getIfPresent(key) == null) {
            return null;
        }
        ByteBuffer file;
        try {
            file = ByteBuffer.wrap(readFile(path(key)));
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            index.invalidate(key); // evicted between the lookup and the read
            return null;
        } catch (IOException e) {
            LOG.warn("chunk cache block {} cannot be read ({}); treated as a miss", key, e.toString());
            remove(key);
            return null;
        }
        try {
            return BlockFormat.payload(key, file);
        } catch (CorruptChunkException e) {
            LOG.warn("{}; the block is removed and the chunk fetched again", e.getMessage());
            corrupt.increment();
            remove(key);
            return null;
        }
    }

    /** Removes the block of {@code key}: its data did not verify. */
    void remove(ChunkKey key) {
        index.invalidate(key);
        deleteFile(key);
    }

    /** Stores {@code stored} (position to limit) as the block of {@code key}, if the bounds allow. */
    void write(ChunkKey key, ByteBuffer stored) {
        write(key, stored, OptionalInt.empty());
    }

    /** The same, with the CRC32C of {@code stored} if the caller knows it (saves a pass over the bytes). */
    void write(ChunkKey key, ByteBuffer stored, OptionalInt crc) {
        long size = BlockFormat.HEADER_SIZE + (long) stored.remaining();
        // containsKey, not getIfPresent: a write is not a use, and must not count towards the block's frequency
        if (size > maxBytes || index.asMap().containsKey(key) || !makeRoom(size)) {
            return;
        }
        try {
            writeBlock(key, stored, crc, size);
        } finally {
            reserved.addAndGet(-size);
        }
    }

    private void writeBlock(ChunkKey key, ByteBuffer stored, OptionalInt crc, long size) {
        Path target = path(key);
        // unique per thread: the same chunk may be written twice at once (evicted from memory and fetched again)
        Path tmp = target.resolveSibling(target.getFileName() + "." + Thread.currentThread().getId() + TMP);
        try {
            Files.createDirectories(target.getParent());
            ByteBuffer header = crc.isPresent() ? BlockFormat.header(key, stored, crc.getAsInt()) : BlockFormat.header(key, stored);
            writer.write(tmp, header, stored);
            move(tmp, target);
            index.put(key, (int) size);
        } catch (IOException e) {
            LOG.warn("chunk cache block {} could not be written ({}); the chunk is not cached on disk", key, e.toString());
            deleteQuietly(tmp);
        }
    }

    /*
     * Block files are read with java.io, not an NIO channel, on purpose: an NIO read into a heap buffer goes through a
     * temporary direct buffer that the JDK caches per thread, up to the size of the largest transfer. Demand misses run
     * on FUSE threads, which libfuse creates by the thousand: each could keep a 4 MiB direct buffer. java.io copies
     * through a native buffer that is freed after each call. (Writes run on the disk threads only: BlockWriter.)
     */
    private static byte[] readFile(Path p) throws IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "r")) {
            long size = f.length();
            if (size > Integer.MAX_VALUE - 8) {
                throw new IOException("block of " + size + " bytes is too large");
            }
            byte[] b = new byte[(int) size];
            f.readFully(b);
            return b;
        }
    }

    /**
     * Evicts blocks until writing {@code size} more bytes leaves the configured share of the disk free. False if
     * even an empty tier would not leave it (the block is then not written).
     */
    private synchronized boolean makeRoom(long size) { // one shrink at a time: each lowers and restores the maximum
        long reserve = (long) Math.ceil(minFreeRatio * space.totalBytes());
        // Blocks that passed this check but are not written yet (the other writer thread) do not show in the free
        // space yet: count them, or two writers could both take the last room and go below the reserve.
        long deficit = size + reserve + reserved.get() - space.usableBytes();
        if (deficit > 0) {
            var eviction = index.policy().eviction().orElseThrow();
            eviction.setMaximum(Math.max(0, bytes() - deficit));
            index.cleanUp();
            eviction.setMaximum(maxBytes);
            if (size + reserve + reserved.get() - space.usableBytes() > 0) {
                skippedForSpace.increment();
                return false;
            }
        }
        reserved.addAndGet(size);
        return true;
    }

    /** Bytes of blocks admitted by {@link #makeRoom} and not yet written (or given up). */
    private final java.util.concurrent.atomic.AtomicLong reserved = new java.util.concurrent.atomic.AtomicLong();

    /** Bytes of all blocks in the index (header included). */
    long bytes() {
        return index.policy().eviction().orElseThrow().weightedSize().orElse(0);
    }

    long blocks() {
        return index.estimatedSize();
    }

    /** Runs pending evictions now (tests, and before reporting sizes). */
    void cleanUp() {
        index.cleanUp();
    }

    Path path(ChunkKey key) {
        return DiskBlocks.file(dir, key);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void deleteFile(ChunkKey key) {
        deleteQuietly(path(key));
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("chunk cache: {} could not be deleted: {}", p.getFileName(), e.toString());
        }
    }

    @Override
    public void close() throws IOException {
        index.cleanUp();
        try {
            lock.release();
        } finally {
            lockChannel.close();
        }
    }
}
