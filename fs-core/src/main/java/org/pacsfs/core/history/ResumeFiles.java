package org.pacsfs.core.history;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * The local files that let a long run continue where it stopped (scrub's state, GC's plan): replaced atomically and
 * forced to disk, so that a crash leaves the old file or the new one, never half of one; read back through the
 * owner's decoder, which checks magic, version and CRC32C (docs/FORMAT.md).
 */
final class ResumeFiles {
    private ResumeFiles() {
    }

    /**
     * The content of {@code file} decoded, empty if there is none.
     *
     * @param decoder throws IllegalArgumentException saying what does not verify
     * @param what    e.g. "the GC resume file", for the message
     * @param advice  what the user should do about a file that does not verify
     * @throws IOException naming the file if it cannot be read or does not verify
     */
    static <T> Optional<T> load(Path file, Function<byte[], T> decoder, String what, String advice) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(decoder.apply(bytes));
        } catch (IllegalArgumentException e) {
            throw new IOException(what + " " + file + " does not verify: " + e.getMessage() + "; " + advice);
        }
    }

    /** Replaces {@code file} with {@code bytes} atomically, forced to disk. */
    static void save(Path file, byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** CRC32C of the first {@code len} bytes of {@code b}. */
    static int crc(byte[] b, int len) {
        CRC32C c = new CRC32C();
        c.update(b, 0, len);
        return (int) c.getValue();
    }
}
