package org.pacsfs.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Read-only access to the disk tier's block files ({@link BlockFormat}) from outside a running cache, for tools such as
 * {@code pacsfs scrub} that look for an intact local copy of a chunk. It takes no lock and changes nothing (a block
 * that does not verify is reported, not deleted), so it may run while a filesystem uses the directory: blocks are
 * written to a temporary name and renamed into place, so a reader sees a whole block or none.
 */
public final class DiskBlocks {

    private DiskBlocks() {
    }

    /** The block file of {@code key} in the disk tier directory {@code dir}: {@code <dir>/<2 hex>/<32 hex>}. */
    public static Path file(Path dir, ChunkKey key) {
        String hex = key.hex();
        return dir.resolve(hex.substring(0, 2)).resolve(hex);
    }

    /**
     * The payload (a chunk object's stored bytes) of the block of {@code key} in {@code dir}, verified against the
     * block's own header and CRC32C; null when there is no block. The caller still checks the bytes against what the
     * metadata log recorded.
     *
     * @throws CorruptChunkException the block is there but does not verify
     * @throws IOException           it could not be read
     */
    public static ByteBuffer read(Path dir, ChunkKey key) throws CorruptChunkException, IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file(dir, key));
        } catch (NoSuchFileException e) {
            return null;
        }
        return BlockFormat.payload(key, ByteBuffer.wrap(bytes));
    }
}
