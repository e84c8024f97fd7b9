package org.pacsfs.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.OptionalInt;

/**
 * The caller's side of a cache miss. The cache keeps two forms of a chunk: the <em>stored</em> bytes (as the origin
 * holds them, e.g. compressed, with their own checksums) on disk, and the <em>data</em> (decoded, verified) in memory.
 * Stored bytes read back from the disk tier are handed to {@link #decode} exactly as bytes fetched from the origin
 * are, so a disk hit is checked like a GET.
 *
 * <p>Implementations are called concurrently from reader threads and the cache's load threads.
 */
public interface ChunkLoader {
    /** Fetches the stored bytes of the chunk from its origin (one GET); retries are the loader's business. */
    ByteBuffer fetch(ChunkKey key) throws IOException;

    /**
     * Verifies stored bytes and returns the chunk's data: position 0, limit = data length. The result is kept and
     * shared by every reader of the chunk, so it must not be modified afterwards by anyone.
     *
     * @throws CorruptChunkException if the bytes do not verify
     */
    ByteBuffer decode(ChunkKey key, ByteBuffer stored) throws CorruptChunkException;

    /**
     * The CRC32C of the chunk's whole stored bytes if the loader knows it without reading them (e.g. recorded in a
     * log and just checked by {@link #decode}); the disk tier then writes it into the block header instead of
     * computing it again. Empty by default. A wrong value is harmless: the block fails its check when read and the
     * chunk is fetched again.
     */
    default OptionalInt storedCrc32c(ChunkKey key) {
        return OptionalInt.empty();
    }
}
