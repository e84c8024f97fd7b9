package org.pacsfs.cache;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the disk tier's block files, with direct I/O ({@code O_DIRECT}) where the filesystem of the cache directory
 * allows it. A buffered write of a 4 MiB block makes the kernel allocate and fill 1024 page-cache pages: profiles of
 * the mount put that copy at 0.5-2 CPU seconds per GiB cached (docs/BENCHMARKS.md), on the same cores that serve the
 * application's reads and writes, for a copy of bytes the memory tier already holds. With direct I/O the disk takes the
 * bytes from one aligned buffer and the kernel copies nothing; the price is that the writing thread waits for the
 * device, which is what the disk threads are for (blocks that cannot be queued are not cached, see
 * {@link TieredChunkCache#DISK_QUEUE_BYTES}). Blocks are read back with ordinary buffered reads; Linux keeps the two
 * coherent.
 *
 * <p>Direct I/O needs the buffer address, the file offset and the length aligned to the filesystem's block size: the
 * block is copied into a pooled aligned buffer (a memory copy, cheap next to the kernel's), padded with zeros to the
 * alignment, written, and the file truncated to its real length. Where direct I/O is refused (tmpfs, some network
 * filesystems: the probe at open fails), or every pooled buffer is in use, or the block is larger than a buffer, the
 * write is buffered as before.
 */
final class BlockWriter {
    private static final Logger LOG = LoggerFactory.getLogger(BlockWriter.class);
    /** Pooled aligned buffers: one per disk thread ({@link TieredChunkCache#DISK_THREADS}). */
    static final int BUFFERS = 2;
    /** Blocks up to this size (a 4 MiB chunk, its codec header and the block header) go through direct I/O. */
    static final int MAX_DIRECT = (4 << 20) + 64 * 1024;

    private final int alignment;
    private final BlockingQueue<ByteBuffer> buffers;

    private BlockWriter(int alignment, BlockingQueue<ByteBuffer> buffers) {
        this.alignment = alignment;
        this.buffers = buffers;
    }

    /** A writer for block files in {@code dir}: direct I/O if a probe write there succeeds, else buffered. */
    static BlockWriter open(Path dir, boolean tryDirect) {
        if (!tryDirect) {
            return new BlockWriter(0, null);
        }
        Path probe = dir.resolve(".direct-io-probe");
        try {
            int alignment = (int) Math.max(512, Files.getFileStore(dir).getBlockSize());
            ByteBuffer b = ByteBuffer.allocateDirect(alignment * 2).alignedSlice(alignment);
            b.limit(alignment);
            try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, ExtendedOpenOption.DIRECT)) {
                ch.write(b);
            }
            BlockingQueue<ByteBuffer> pool = new ArrayBlockingQueue<>(BUFFERS);
            int capacity = roundUp(MAX_DIRECT, alignment);
            for (int i = 0; i < BUFFERS; i++) {
                pool.add(ByteBuffer.allocateDirect(capacity + alignment).alignedSlice(alignment));
            }
            LOG.debug("chunk cache {}: block files written with direct I/O ({}-byte alignment)", dir, alignment);
            return new BlockWriter(alignment, pool);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | OutOfMemoryError e) {
            // OutOfMemoryError: allocateDirect beyond -XX:MaxDirectMemorySize; buffered writes need no direct memory
            LOG.info("chunk cache {}: direct I/O not available ({}); block files are written through the page cache",
                    dir, e.toString());
            return new BlockWriter(0, null);
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // a leftover probe file is harmless: it is not a block name
            }
        }
    }

    /** True if block files are written with direct I/O. */
    boolean direct() {
        return buffers != null;
    }

    /** Writes {@code header} then {@code payload} (position to limit, positions unchanged) as the file {@code p}. */
    void write(Path p, ByteBuffer header, ByteBuffer payload) throws IOException {
        int length = header.remaining() + payload.remaining();
        ByteBuffer b = buffers == null || length > MAX_DIRECT ? null : buffers.poll();
        if (b == null) {
            writeBuffered(p, header, payload);
            return;
        }
        try {
            b.clear();
            b.put(header.duplicate()).put(payload.duplicate());
            int padded = roundUp(length, alignment);
            while (b.position() < padded) {
                b.put((byte) 0);
            }
            b.flip();
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, ExtendedOpenOption.DIRECT)) {
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.truncate(length);
            }
        } finally {
            buffers.add(b);
        }
    }

    private static int roundUp(int n, int alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    /*
     * java.io, not an NIO channel, for the buffered path: an NIO write of a heap buffer goes through a temporary direct
     * buffer that the JDK caches per thread, up to the size of the largest transfer; java.io copies through a native
     * buffer that is freed after each call.
     */
    private static void writeBuffered(Path p, ByteBuffer header, ByteBuffer payload) throws IOException {
        try (java.io.FileOutputStream out = new java.io.FileOutputStream(p.toFile())) {
            out.write(header.array(), header.arrayOffset() + header.position(), header.remaining());
            if (payload.hasArray()) {
                out.write(payload.array(), payload.arrayOffset() + payload.position(), payload.remaining());
            } else { // read-only or direct: one copy
                byte[] copy = new byte[payload.remaining()];
                payload.duplicate().get(copy);
                out.write(copy);
            }
        }
    }
}
