package org.pacsfs.core.bucket;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The log base ({@code logbase/<seq>}, docs/FORMAT.md "log base"): where the metadata log begins after
 * {@code pacsfs gc} pruned the segments before it. Segment {@code seq} is the first one kept; the state after segment
 * {@code seq - 1} is in the checkpoint it names (kept with it: the only source of the state before {@code seq}), and
 * {@link #prevSha256()} is the SHA-256 segment {@code seq} must name as its predecessor, so that the hash chain still
 * ties the kept segments to what was pruned. Written once (If-None-Match) before any segment is deleted; the object
 * with the highest {@code seq} is the filesystem's base.
 *
 * @param fsId             the filesystem (the superblock's)
 * @param seq              the first segment kept, at least 2
 * @param prevSha256       SHA-256 of segment {@code seq - 1} as it was stored
 * @param checkpointName   the checkpoint at {@code seq - 1} ({@code checkpoints/<seq-1>/<name>.manifest}) holding
 *                         the state after segment {@code seq - 1}
 * @param time             the latest time of the pruned segments (history before it is gone)
 * @param retentionSeconds the retention the pruning GC run judged by
 * @param runStartMs       that run's start (its clock), ms since the epoch
 * @param runId            that run's id
 */
public record LogBase(UUID fsId, long seq, byte[] prevSha256, String checkpointName, Instant time, long retentionSeconds,
                      long runStartMs, UUID runId) {

    public static final long MAGIC = 0x5046534C42415345L; // "PFSLBASE"
    public static final int VERSION = 1;
    private static final int FIXED = 8 + 4 + 16 + 8 + 32 + 8 + 1 + 8 + 8 + 8 + 16 + 4;

    public LogBase {
        if (seq < 2) {
            throw new IllegalArgumentException("a log base keeps segments from 2 on (1 is the start without a base), got " + seq);
        }
        if (prevSha256 == null || prevSha256.length != 32) {
            throw new IllegalArgumentException("a log base's predecessor hash is 32 bytes");
        }
        if (checkpointName == null || !checkpointName.matches("(full|incr)-[0-9a-f]{8}")) {
            throw new IllegalArgumentException("a log base names a checkpoint full-<8 hex> or incr-<8 hex>, got '" + checkpointName + "'");
        }
        prevSha256 = prevSha256.clone();
    }

    /** The position of the checkpoint holding the state before {@link #seq()}. */
    public long checkpointSeq() {
        return seq - 1;
    }

    /** The cutoff of the run that wrote it: its start minus its retention. */
    public Instant runCutoff() {
        return Instant.ofEpochMilli(runStartMs).minusSeconds(retentionSeconds);
    }

    @Override
    public byte[] prevSha256() {
        return prevSha256.clone();
    }

    /** The object's bytes (big-endian; layout in docs/FORMAT.md). */
    public byte[] encode() {
        byte[] name = checkpointName.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(FIXED + name.length);
        b.putLong(MAGIC).putInt(VERSION);
        b.putLong(fsId.getMostSignificantBits()).putLong(fsId.getLeastSignificantBits());
        b.putLong(seq).put(prevSha256).putLong(seq - 1).put((byte) name.length).put(name);
        b.putLong(time.getEpochSecond() * 1_000_000_000L + time.getNano());
        b.putLong(retentionSeconds).putLong(runStartMs);
        b.putLong(runId.getMostSignificantBits()).putLong(runId.getLeastSignificantBits());
        b.putInt(crc(b.array(), b.position()));
        return b.array();
    }

    /**
     * Decodes and checks a log base object.
     *
     * @param key for messages
     * @throws IllegalArgumentException naming the key and what is wrong (size, magic, version, CRC32C, fields)
     */
    public static LogBase decode(byte[] bytes, String key) {
        if (bytes.length < FIXED) {
            throw new IllegalArgumentException(key + " is " + bytes.length + " bytes, too short for a log base (at least " + FIXED + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getLong() != MAGIC) {
            throw new IllegalArgumentException(key + " is not a pacsfs log base (bad magic)");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new IllegalArgumentException(key + " has log base format " + version + "; this pacsfs reads " + VERSION
                    + (version > VERSION ? ": upgrade pacsfs" : ""));
        }
        if (crc(bytes, bytes.length - 4) != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) {
            throw new IllegalArgumentException(key + " fails its CRC32C: damaged");
        }
        try {
            UUID fsId = new UUID(b.getLong(), b.getLong());
            long seq = b.getLong();
            byte[] prev = new byte[32];
            b.get(prev);
            long cpSeq = b.getLong();
            byte[] name = new byte[b.get() & 0xFF];
            b.get(name);
            long timeNs = b.getLong();
            long retention = b.getLong();
            long start = b.getLong();
            UUID runId = new UUID(b.getLong(), b.getLong());
            if (b.remaining() != 4) {
                throw new IllegalArgumentException(key + ": " + (b.remaining() - 4) + " bytes after the last field");
            }
            if (cpSeq != seq - 1) {
                throw new IllegalArgumentException(key + " names a checkpoint at " + cpSeq + ", not at " + (seq - 1));
            }
            if (retention < 1) {
                throw new IllegalArgumentException(key + " records a retention of " + retention + " s");
            }
            return new LogBase(fsId, seq, prev, new String(name, StandardCharsets.US_ASCII),
                    Instant.ofEpochSecond(0, timeNs), retention, start, runId);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException(key + " is truncated", e);
        } catch (IllegalArgumentException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(key) ? e : new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    private static int crc(byte[] b, int len) {
        CRC32C c = new CRC32C();
        c.update(b, 0, len);
        return (int) c.getValue();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogBase x && x.fsId.equals(fsId) && x.seq == seq && Arrays.equals(x.prevSha256, prevSha256)
                && x.checkpointName.equals(checkpointName) && x.time.equals(time) && x.retentionSeconds == retentionSeconds
                && x.runStartMs == runStartMs && x.runId.equals(runId);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seq) * 31 + Arrays.hashCode(prevSha256);
    }

    @Override
    public String toString() {
        return "log base at segment " + seq + " (state before it: checkpoint " + (seq - 1) + " " + checkpointName
                + ", predecessor SHA-256 " + HexFormat.of().formatHex(prevSha256) + ", history from " + time + ")";
    }
}
