package org.pacsfs.core.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The file {@code index/CLEAN}: written (tmp + fsync + rename + fsync of the directory) only after the index files
 * were closed and forced at a clean shutdown, and deleted (durably) before the first change after opening. Its
 * presence with a valid checksum and an LSN equal to the log's last LSN is the only reason the index is trusted;
 * anything else means the index is rebuilt from the log. Format: docs/FORMAT.md.
 *
 * @param appliedLsn  the last write-log LSN the index reflects
 * @param bytesStored sum of regular file sizes
 * @param inodeCount  inodes in the index
 * @param maxIno      highest inode number ever allocated
 * @param headSeq     the bucket's metadata log head the index reflects (0 without a bucket)
 * @param checkpointSeq the newest checkpoint in the bucket when the index was closed (0 without a bucket)
 */
record CleanMarker(long appliedLsn, long bytesStored, long inodeCount, long maxIno, long headSeq, long checkpointSeq) {
    static final String FILE = "CLEAN";
    static final long MAGIC = 0x5041435346534958L; // "PACSFSIX"
    static final int VERSION = 1;
    static final int SIZE = 8 + 4 + 8 * 6 + 4;

    void write(Path dir) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.putLong(MAGIC).putInt(VERSION).putLong(appliedLsn).putLong(bytesStored).putLong(inodeCount).putLong(maxIno).putLong(headSeq).putLong(checkpointSeq);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, SIZE - 4);
        b.putInt((int) crc.getValue()).flip();
        Path tmp = dir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(dir);
    }

    /** The marker in {@code dir}, or empty if it is missing or damaged (either way: do not trust the index). */
    static Optional<CleanMarker> read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        byte[] bytes = Files.readAllBytes(f);
        if (bytes.length != SIZE) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, SIZE - 4);
        if (b.getLong() != MAGIC || b.getInt() != VERSION || b.getInt(SIZE - 4) != (int) crc.getValue()) {
            return Optional.empty();
        }
        return Optional.of(new CleanMarker(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong()));
    }

    /** Removes the marker durably: from now on the index may change, so it must not be trusted after a crash. */
    static void remove(Path dir) throws IOException {
        if (Files.deleteIfExists(dir.resolve(FILE))) {
            forceDirectory(dir);
        }
    }

    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
