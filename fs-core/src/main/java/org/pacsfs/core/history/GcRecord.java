package org.pacsfs.core.history;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.pacsfs.core.bucket.ChunkId;

/**
 * One part of the record a GC run leaves in the bucket ({@code gc/<run>/<part>}, docs/FORMAT.md "GC records"): the
 * chunk objects it removes, each with the reason, and the log position and retention it judged them by. A part is
 * written (create-once) <em>before</em> its chunks are deleted, so every chunk GC ever deleted is named in a record;
 * {@code pacsfs verify} reports such a chunk as expired, not missing. Big-endian:
 *
 * <pre>
 * size field
 *  8   magic "PFSGCREC" (0x5046534743524543)
 *  4   format version, 1
 * 16   filesystem id
 * 16   run id
 *  8   run start, ms since the epoch (GC's clock)
 *  4   part number (0, 1, ...)
 *  8   retention, seconds
 *  8   cutoff = run start - retention, ms since the epoch
 *  8   base segment: the last segment of the state as of the cutoff (0: none)
 * 32   its SHA-256 (zeros when 0)
 *  8   head segment when the run walked the log
 * 32   its SHA-256
 *  4   entry count, then per entry: chunk id (16), reason (1: 1 expired, 2 never referenced), stored bytes (8)
 *  4   CRC32C of everything before
 * </pre>
 */
public record GcRecord(UUID fsId, UUID runId, long runStartMs, int part, long retentionSeconds, long cutoffMs,
                       long baseSeq, byte[] baseSha256, long headSeq, byte[] headSha256, List<Entry> entries) {

    static final long MAGIC = 0x5046534743524543L;
    static final int VERSION = 1;
    static final int ENTRY_BYTES = 16 + 1 + 8;
    private static final int FIXED = 8 + 4 + 16 + 16 + 8 + 4 + 8 + 8 + 8 + 32 + 8 + 32 + 4 + 4;

    /** Why a chunk was removed. */
    public enum Reason {
        /** Only segments up to the base referenced it: unreferenced since at or before the cutoff. */
        EXPIRED(1),
        /** No segment ever referenced it (an upload whose segment was never committed), and it is old. */
        NEVER_REFERENCED(2);

        final int code;

        Reason(int code) {
            this.code = code;
        }

        static Reason of(int code) {
            for (Reason r : values()) {
                if (r.code == code) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown reason code " + code + " (1 expired, 2 never referenced)");
        }

        /** The word printed in reports. */
        public String word() {
            return this == EXPIRED ? "expired" : "never-referenced";
        }
    }

    /** One removed chunk. */
    public record Entry(ChunkId id, Reason reason, long storedBytes) {
        public Entry {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(reason, "reason");
        }

        /** Writes the count and the entries ({@value #ENTRY_BYTES} bytes each), as GC records and the plan file hold them. */
        static void writeAll(ByteBuffer b, List<Entry> entries) {
            b.putInt(entries.size());
            for (Entry e : entries) {
                e.id().writeTo(b);
                b.put((byte) e.reason().code).putLong(e.storedBytes());
            }
        }

        /**
         * Reads what {@link #writeAll} wrote: the count, then {@code entryBytes} bytes of entries.
         *
         * @throws IllegalArgumentException if the count does not match the bytes there are
         */
        static List<Entry> readAll(ByteBuffer b, int entryBytes) {
            int n = b.getInt();
            if (n < 0 || (long) n * ENTRY_BYTES != entryBytes) {
                throw new IllegalArgumentException("it says " + n + " entries but holds " + entryBytes + " bytes of entries");
            }
            List<Entry> entries = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                entries.add(new Entry(ChunkId.readFrom(b), Reason.of(b.get()), b.getLong()));
            }
            return entries;
        }
    }

    public GcRecord {
        entries = List.copyOf(entries);
        if (baseSha256.length != 32 || headSha256.length != 32) {
            throw new IllegalArgumentException("a SHA-256 is 32 bytes");
        }
    }

    /** The run's name in keys: start (20 digits) '-' run id (32 hex digits). */
    public String run() {
        return run(runStartMs, runId);
    }

    static String run(long startMs, UUID runId) {
        return String.format("%020d-%s", startMs, runId.toString().replace("-", ""));
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(FIXED + entries.size() * ENTRY_BYTES);
        b.putLong(MAGIC).putInt(VERSION);
        b.putLong(fsId.getMostSignificantBits()).putLong(fsId.getLeastSignificantBits());
        b.putLong(runId.getMostSignificantBits()).putLong(runId.getLeastSignificantBits());
        b.putLong(runStartMs).putInt(part).putLong(retentionSeconds).putLong(cutoffMs);
        b.putLong(baseSeq).put(baseSha256).putLong(headSeq).put(headSha256);
        Entry.writeAll(b, entries);
        b.putInt(crc(b.array(), b.position()));
        return b.array();
    }

    /**
     * Decodes and checks a record object.
     *
     * @param key for messages
     * @throws IllegalArgumentException naming the key and what does not verify
     */
    static GcRecord decode(byte[] bytes, String key) {
        try {
            if (bytes.length < FIXED) {
                throw new IllegalArgumentException("it is " + bytes.length + " bytes, shorter than a GC record's fixed part");
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            if (b.getLong() != MAGIC) {
                throw new IllegalArgumentException("bad magic: not a GC record");
            }
            int version = b.getInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("format version " + version + "; this pacsfs reads " + VERSION + ": upgrade pacsfs");
            }
            if (crc(bytes, bytes.length - 4) != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) {
                throw new IllegalArgumentException("its CRC32C does not match (damaged)");
            }
            UUID fsId = new UUID(b.getLong(), b.getLong());
            UUID runId = new UUID(b.getLong(), b.getLong());
            long start = b.getLong();
            int part = b.getInt();
            long retention = b.getLong();
            long cutoff = b.getLong();
            long baseSeq = b.getLong();
            byte[] baseSha = new byte[32];
            b.get(baseSha);
            long headSeq = b.getLong();
            byte[] headSha = new byte[32];
            b.get(headSha);
            List<Entry> entries = Entry.readAll(b, bytes.length - FIXED);
            return new GcRecord(fsId, runId, start, part, retention, cutoff, baseSeq, baseSha, headSeq, headSha, entries);
        } catch (IllegalArgumentException | BufferUnderflowException e) {
            throw new IllegalArgumentException("GC record " + key + " does not verify: " + e.getMessage(), e);
        }
    }

    private static int crc(byte[] b, int len) {
        CRC32C c = new CRC32C();
        c.update(b, 0, len);
        return (int) c.getValue();
    }
}
