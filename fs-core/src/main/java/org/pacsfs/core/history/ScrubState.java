package org.pacsfs.core.history;

import java.io.IOException;
import java.nio.ByteBuffer;




import java.nio.file.Path;


import java.util.Optional;
import java.util.UUID;

/**
 * Where an interrupted scrub stopped, so that {@code --resume} continues there: the filesystem, the selection, the
 * last log segment whose chunks were all checked, and the totals so far. A small local file, replaced atomically
 * (written to a temporary file, forced, renamed); see docs/FORMAT.md, "Scrub resume file". Big-endian:
 *
 * <pre>
 * offset size field
 *  0     4    magic 0x50534352 ("PSCR")
 *  4     2    format version, 1
 *  6     2    flags, 0
 *  8    16    filesystem id
 * 24     8    sample fraction (IEEE 754 double)
 * 32     8    seed
 * 40     8    last segment completed
 * 48     8    time the scrub started (milliseconds since the epoch)
 * 56    72    totals: 9 counters of 8 bytes (segments, chunks, bytes, ok, repaired, not repaired, unrepairable,
 *             unreadable, segment problems)
 * 128    4    CRC32C of bytes 0..127
 * </pre>
 *
 * @param fsId      the filesystem scrubbed
 * @param selection the chunks chosen
 * @param lastSeq   the last segment whose chunks were all checked (0: none yet)
 * @param startedMs when the scrub (its first part) started
 * @param totals    what was done up to and including {@code lastSeq}
 */
public record ScrubState(UUID fsId, ScrubSelection selection, long lastSeq, long startedMs, ScrubTotals totals) {
    static final int MAGIC = 0x50534352;
    static final int VERSION = 1;
    static final int SIZE = 132;

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.putInt(MAGIC).putShort((short) VERSION).putShort((short) 0);
        b.putLong(fsId.getMostSignificantBits()).putLong(fsId.getLeastSignificantBits());
        b.putDouble(selection.fraction()).putLong(selection.seed()).putLong(lastSeq).putLong(startedMs);
        for (long v : totals.toArray()) {
            b.putLong(v);
        }
        b.putInt(ResumeFiles.crc(b.array(), SIZE - 4));
        return b.array();
    }

    /** Decodes a file's bytes, or throws naming what does not verify. */
    static ScrubState decode(byte[] bytes) {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("it is " + bytes.length + " bytes, a scrub resume file is " + SIZE);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt() != MAGIC || b.getShort() != VERSION || b.getShort() != 0) {
            throw new IllegalArgumentException("bad magic, version or flags: not a scrub resume file of this version");
        }
        if (ResumeFiles.crc(bytes, SIZE - 4) != b.getInt(SIZE - 4)) {
            throw new IllegalArgumentException("its CRC32C does not match (damaged)");
        }
        UUID fsId = new UUID(b.getLong(), b.getLong());
        ScrubSelection selection = new ScrubSelection(b.getDouble(), b.getLong());
        long lastSeq = b.getLong();
        long started = b.getLong();
        long[] v = new long[ScrubTotals.COUNTERS];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getLong();
        }
        return new ScrubState(fsId, selection, lastSeq, started, ScrubTotals.fromArray(v));
    }

    /** The state in {@code file}, empty if there is none; throws {@link IOException} naming the file if it does not verify. */
    public static Optional<ScrubState> load(Path file) throws IOException {
        return ResumeFiles.load(file, ScrubState::decode, "the scrub resume file",
                "delete it, or run without --resume to start from the beginning");
    }

    /** Replaces {@code file} with this state atomically, forced to disk. */
    void save(Path file) throws IOException {
        ResumeFiles.save(file, encode());
    }
}
