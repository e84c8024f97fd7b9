package org.pacsfs.core.history;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;




import java.nio.file.Path;


import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What a GC run removes and why it may: the chunk objects to remove (each with its reason and size), the retention and
 * cutoff they were judged by, the log positions (base and head) the judgement rests on, and what was kept. Made by
 * {@link GarbageCollector#plan}; a dry run prints it, {@code --apply} carries it out.
 *
 * <p>A plan stays valid after it was made: a chunk that was unreferenced at the base stays unreferenced (no segment
 * ever points back at an older chunk), so an interrupted run is continued from its saved plan ({@link #save}, the GC
 * resume file in docs/FORMAT.md) without walking the log again.
 *
 * @param kept  what the listing kept (zeros in a plan loaded from a resume file)
 * @param prune what the run prunes from the metadata log ({@link LogPrune#NONE} in a plan loaded from a resume file:
 *              not saved there; the next run prunes, see {@link LogPruner})
 */
public record GcPlan(UUID fsId, UUID runId, long runStartMs, Duration retention, Instant cutoff, Instant neverReferencedCutoff,
                     long baseSeq, byte[] baseSha256, Instant baseTime, long headSeq, byte[] headSha256,
                     List<GcRecord.Entry> remove, Kept kept, LogPrune prune) {

    static final int MAGIC = 0x50474352; // "PGCR"
    static final int VERSION = 1;
    private static final int FIXED = 4 + 2 + 2 + 16 + 16 + 8 + 8 + 8 + 8 + 8 + 32 + 8 + 32 + 4 + 4;

    /**
     * Chunk objects left alone.
     *
     * @param referenced      needed by the state as of the cutoff or a later segment
     * @param referencedBytes their stored bytes
     * @param young           not needed, but younger than the cutoff by their LastModified (or, never referenced, by
     *                        the longer bound for uploads whose segment may still be on its way)
     * @param youngBytes      their stored bytes
     * @param foreign         objects under {@code chunks/} whose key is not a chunk key (never touched)
     */
    public record Kept(long referenced, long referencedBytes, long young, long youngBytes, long foreign) {
        static final Kept NONE = new Kept(0, 0, 0, 0, 0);
    }

    public GcPlan {
        remove = List.copyOf(remove);
        prune = prune == null ? LogPrune.NONE : prune;
    }

    /** A plan that prunes nothing from the log. */
    public GcPlan(UUID fsId, UUID runId, long runStartMs, Duration retention, Instant cutoff, Instant neverReferencedCutoff,
                  long baseSeq, byte[] baseSha256, Instant baseTime, long headSeq, byte[] headSha256,
                  List<GcRecord.Entry> remove, Kept kept) {
        this(fsId, runId, runStartMs, retention, cutoff, neverReferencedCutoff, baseSeq, baseSha256, baseTime, headSeq,
                headSha256, remove, kept, LogPrune.NONE);
    }

    /** The run's name in keys (start and id). */
    public String run() {
        return GcRecord.run(runStartMs, runId);
    }

    /** Chunks to remove for {@code reason}. */
    public long count(GcRecord.Reason reason) {
        return remove.stream().filter(e -> e.reason() == reason).count();
    }

    /** Their stored bytes. */
    public long bytes(GcRecord.Reason reason) {
        return remove.stream().filter(e -> e.reason() == reason).mapToLong(GcRecord.Entry::storedBytes).sum();
    }

    /** The record part {@code part} with at most {@code perPart} entries. */
    GcRecord part(int part, int perPart) {
        int from = part * perPart;
        List<GcRecord.Entry> entries = remove.subList(from, Math.min(remove.size(), from + perPart));
        return new GcRecord(fsId, runId, runStartMs, part, retention.getSeconds(), cutoff.toEpochMilli(), baseSeq, baseSha256,
                headSeq, headSha256, entries);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(FIXED + remove.size() * GcRecord.ENTRY_BYTES);
        b.putInt(MAGIC).putShort((short) VERSION).putShort((short) 0);
        b.putLong(fsId.getMostSignificantBits()).putLong(fsId.getLeastSignificantBits());
        b.putLong(runId.getMostSignificantBits()).putLong(runId.getLeastSignificantBits());
        b.putLong(runStartMs).putLong(retention.getSeconds()).putLong(cutoff.toEpochMilli())
                .putLong(neverReferencedCutoff.toEpochMilli());
        b.putLong(baseSeq).put(baseSha256).putLong(headSeq).put(headSha256);
        GcRecord.Entry.writeAll(b, remove);
        b.putInt(ResumeFiles.crc(b.array(), b.position()));
        return b.array();
    }

    static GcPlan decode(byte[] bytes) {
        try {
            if (bytes.length < FIXED) {
                throw new IllegalArgumentException("it is " + bytes.length + " bytes, too short for a GC resume file");
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            if (b.getInt() != MAGIC || b.getShort() != VERSION || b.getShort() != 0) {
                throw new IllegalArgumentException("bad magic, version or flags: not a GC resume file of this version");
            }
            if (ResumeFiles.crc(bytes, bytes.length - 4) != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) {
                throw new IllegalArgumentException("its CRC32C does not match (damaged)");
            }
            UUID fsId = new UUID(b.getLong(), b.getLong());
            UUID runId = new UUID(b.getLong(), b.getLong());
            long start = b.getLong();
            Duration retention = Duration.ofSeconds(b.getLong());
            Instant cutoff = Instant.ofEpochMilli(b.getLong());
            Instant nrCutoff = Instant.ofEpochMilli(b.getLong());
            long baseSeq = b.getLong();
            byte[] baseSha = new byte[32];
            b.get(baseSha);
            long headSeq = b.getLong();
            byte[] headSha = new byte[32];
            b.get(headSha);
            List<GcRecord.Entry> entries = GcRecord.Entry.readAll(b, bytes.length - FIXED);
            return new GcPlan(fsId, runId, start, retention, cutoff, nrCutoff, baseSeq, baseSha, null, headSeq, headSha,
                    entries, Kept.NONE);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("it is truncated", e);
        }
    }

    /** The plan saved in {@code file}, empty if there is none; throws naming the file if it does not verify. */
    public static Optional<GcPlan> load(Path file) throws IOException {
        return ResumeFiles.load(file, GcPlan::decode, "the GC resume file",
                "delete it and run pacsfs gc again without --resume");
    }

    /** Replaces {@code file} with this plan atomically, forced to disk. */
    void save(Path file) throws IOException {
        ResumeFiles.save(file, encode());
    }
}
