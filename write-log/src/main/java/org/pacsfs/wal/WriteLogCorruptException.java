package org.pacsfs.wal;

import java.nio.file.Path;

/**
 * The log holds bytes that fail verification where valid records must be (bad header, CRC32C mismatch in the middle
 * of a segment, missing LSNs). Never skipped: the caller decides (restore, fsck); {@link #file()} and
 * {@link #position()} say where.
 */
public final class WriteLogCorruptException extends WriteLogException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final long position;

    public WriteLogCorruptException(Path file, long position, String message) {
        super("write log corrupt: " + file + " at byte " + position + ": " + message);
        this.file = file;
        this.position = position;
    }

    /** The segment file holding the corruption. */
    public Path file() {
        return file;
    }

    /** Byte offset within {@link #file()} where the first bad byte range begins. */
    public long position() {
        return position;
    }
}
