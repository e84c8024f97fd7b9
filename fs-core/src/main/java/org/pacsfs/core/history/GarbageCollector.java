package org.pacsfs.core.history;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.bucket.FsSettings;
import org.pacsfs.core.bucket.Superblock;
import org.pacsfs.core.bucket.SuperblockException;
import org.pacsfs.core.fs.ChunkReachability;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.store.BatchDeleteResult;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;
import org.pacsfs.core.store.RetryingObjectStore;

/**
 * Removes the chunk objects that no retained version needs (docs/HISTORY.md, "pacsfs gc").
 *
 * <p><b>What may go.</b> With {@code cutoff = now - retention} ({@code retention} at least the filesystem's), a chunk
 * object is removed only if (a) no state of the filesystem at or after the cutoff references it
 * ({@link ChunkReachability}): only segments up to the state as of the cutoff referenced it, so it became unreferenced
 * at or before the cutoff by the writer's clock; and (b) its LastModified (the server's clock) is at or before the
 * cutoff too. A chunk no segment ever referenced (an upload whose segment never came: a crash between the two) is
 * removed only if its LastModified and the time in its id are both older than {@code max(retention,}
 * {@value #NEVER_REFERENCED_MIN_AGE_DAYS}{@code  days)}.
 *
 * <p><b>Safe while mounted.</b> A mount's flusher uploads a batch's chunks before it commits the segment that
 * references them; GC walks the log first and lists the chunks afterwards, so such a chunk is either referenced by a
 * segment GC read, or it looks never-referenced and is young: kept by (b) and the bound above. A write never points
 * at an older chunk (writes and tail rewrites always go into chunks of their own segment), so the segments committed
 * while GC runs cannot need anything GC removes. GC takes no lease and writes only its own records and deletes.
 *
 * <p><b>Record first.</b> Each batch of at most {@value #PART_ENTRIES} chunks is named in a GC record part
 * ({@link GcRecord}, create-once) before it is deleted, so that {@link LogVerifier} reports a removed chunk as expired,
 * never as missing.
 *
 * <p><b>Log segments.</b> After the chunks, the run prunes the metadata log ({@link LogPruner}): it writes a log base
 * at the newest checkpoint at or before the cutoff state and deletes the segments and checkpoints below it. A
 * plan continued from a resume file prunes nothing; the next run does.
 *
 * <p><b>Resume.</b> The plan is saved to a local file before the first deletion; an interrupted run continues from
 * it: the record parts already in the bucket say how far it got (the last one's deletes are repeated; deleting an
 * absent object succeeds).
 */
public final class GarbageCollector {

    /** The least age, in days, of a never-referenced chunk before GC removes it. */
    public static final long NEVER_REFERENCED_MIN_AGE_DAYS = 7;
    /** Chunks per record part and per delete request. */
    public static final int PART_ENTRIES = ObjectStore.MAX_KEYS_PER_REQUEST;

    /** Told what GC is doing; calls come from the calling thread. */
    public interface Listener {
        /** A segment of the log was read (planning). */
        default void walking(long seq, long lastSeq) {
        }

        /** Chunk objects listed so far (planning). */
        default void listing(long listed) {
        }

        /** Chunks removed so far of the plan's total, and their stored bytes. */
        default void removing(long done, long total, long bytes) {
        }
    }

    /**
     * What an applied plan did.
     *
     * @param removed      chunks deleted (including those of an earlier, interrupted part of the run)
     * @param removedBytes their stored bytes
     * @param parts        record parts written
     * @param resumedAt    the first part this call worked on (0 unless resumed)
     * @param failures     chunks the server refused to delete (e.g. Object Lock), each with its reason: still there
     * @param pruned       what pruning the log did
     */
    public record Outcome(long removed, long removedBytes, int parts, int resumedAt, List<BatchDeleteResult.Failure> failures,
                          LogPrune.Outcome pruned) {
        public Outcome {
            failures = List.copyOf(failures);
        }
    }

    private final ObjectStore store;
    private final BucketKeys keys;
    private final Path scratch;
    private final FsConfig indexConfig;
    private final Clock clock;
    private final Listener listener;

    /**
     * @param store       the store; transient errors are retried for up to two minutes per request
     * @param prefix      the filesystem's prefix in the store ("" when the store already points at it)
     * @param scratch     an empty directory for the private index of the log walk (the caller deletes it)
     * @param indexConfig sizing of that index
     * @param clock       "now" (tests inject one)
     * @param listener    progress; may be null
     */
    public GarbageCollector(ObjectStore store, String prefix, Path scratch, FsConfig indexConfig, Clock clock, Listener listener) {
        this.store = new RetryingObjectStore(store, Duration.ofMinutes(2), Duration.ofSeconds(5));
        this.keys = BucketKeys.under(prefix);
        this.scratch = scratch;
        this.indexConfig = indexConfig;
        this.clock = clock;
        this.listener = listener == null ? new Listener() { } : listener;
    }

    /**
     * The filesystem's retention (settings.json; 180 days for a filesystem that has none and no log).
     *
     * @throws IllegalStateException if settings.json is missing from a filesystem with a log, or damaged: gc must not
     *                               guess a retention (a guess shorter than the archive's would delete what it keeps)
     */
    public Duration filesystemRetention() {
        return FsSettings.require(store, keys).retention();
    }

    /**
     * Decides what to remove; changes nothing.
     *
     * @param retention null for the filesystem's; otherwise at least the filesystem's
     * @throws IllegalArgumentException if {@code retention} is shorter than the filesystem's (naming both)
     * @throws GcException if the bucket holds no filesystem or its log cannot be walked
     */
    public GcPlan plan(Duration retention) throws GcException {
        Duration fsRetention;
        try {
            fsRetention = filesystemRetention();
        } catch (IllegalStateException | ObjectStoreException e) {
            throw new GcException("cannot read the filesystem's retention: " + e.getMessage(), e);
        }
        if (retention != null && retention.compareTo(fsRetention) < 0) {
            throw new IllegalArgumentException("the retention asked for (" + FsSettings.describe(retention)
                    + ") is shorter than the filesystem's retention (" + FsSettings.describe(fsRetention)
                    + ", settings.json): GC may keep data longer than the filesystem's setting, never shorter");
        }
        Duration r = retention == null ? fsRetention : retention;
        Instant now = clock.instant();
        Instant cutoff = now.minus(r);
        Duration nrAge = r.compareTo(Duration.ofDays(NEVER_REFERENCED_MIN_AGE_DAYS)) > 0 ? r : Duration.ofDays(NEVER_REFERENCED_MIN_AGE_DAYS);
        Instant nrCutoff = now.minus(nrAge);
        ChunkReachability.Result reach;
        try {
            reach = ChunkReachability.compute(store, keys.prefix(), scratch, indexConfig, cutoff, listener::walking);
        } catch (FsException e) {
            throw new GcException(e.getMessage(), e);
        }
        UUID runId = UUID.randomUUID();
        LogPrune prune;
        try {
            prune = LogPruner.plan(store, keys, reach, runId, now.toEpochMilli(), r);
        } catch (RuntimeException e) {
            throw new GcException("cannot plan pruning the metadata log of " + store.location() + ": " + e.getMessage(), e);
        }
        List<GcRecord.Entry> remove = new ArrayList<>();
        long[] kept = new long[5];
        long listed = 0;
        try {
            for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.chunksPrefix())::iterator) {
                judge(o, reach, cutoff, nrCutoff, remove, kept);
                if (++listed % 1000 == 0) {
                    listener.listing(listed);
                }
            }
        } catch (ObjectStoreException e) {
            throw new GcException("cannot list the chunks of " + store.location() + ": " + e.getMessage(), e);
        }
        listener.listing(listed);
        return new GcPlan(reach.fsId(), runId, now.toEpochMilli(), r, cutoff, nrCutoff, reach.baseSeq(),
                reach.baseSha256(), reach.baseTime(), reach.headSeq(), reach.headSha256(), remove,
                new GcPlan.Kept(kept[0], kept[1], kept[2], kept[3], kept[4]), prune);
    }

    private void judge(ObjectInfo o, ChunkReachability.Result reach, Instant cutoff, Instant nrCutoff,
                       List<GcRecord.Entry> remove, long[] kept) {
        ChunkId id;
        try {
            id = keys.parseChunk(o.key());
        } catch (IllegalArgumentException e) {
            kept[4]++;
            return;
        }
        if (reach.keep().contains(id)) {
            kept[0]++;
            kept[1] += o.size();
        } else if (reach.expired().contains(id) && !o.lastModified().isAfter(cutoff)) {
            remove.add(new GcRecord.Entry(id, GcRecord.Reason.EXPIRED, o.size()));
        } else if (!reach.expired().contains(id) && !o.lastModified().isAfter(nrCutoff) && !id.createdAt().isAfter(nrCutoff)) {
            remove.add(new GcRecord.Entry(id, GcRecord.Reason.NEVER_REFERENCED, o.size()));
        } else {
            kept[2]++;
            kept[3] += o.size();
        }
    }

    /**
     * Removes what {@code plan} names: per part, the record first, then the chunks.
     *
     * @param resumeFile where the plan is saved for {@link #resume} (deleted when done); null: not saved
     */
    public Outcome apply(GcPlan plan, Path resumeFile) throws GcException {
        if (resumeFile != null) {
            try {
                plan.save(resumeFile);
            } catch (IOException e) {
                throw new GcException("cannot save the GC resume file " + resumeFile + ": " + e.getMessage(), e);
            }
        }
        return carryOut(plan, 0, resumeFile);
    }

    /**
     * Continues the run saved in {@code resumeFile} (of this filesystem) where its records in the bucket end.
     *
     * @throws GcException if there is no such file, it does not verify, or it belongs to another filesystem
     */
    public Outcome resume(Path resumeFile) throws GcException {
        GcPlan plan;
        try {
            plan = GcPlan.load(resumeFile).orElseThrow(() -> new GcException("there is no interrupted GC to resume ("
                    + resumeFile + " does not exist); run pacsfs gc --apply without --resume"));
        } catch (IOException e) {
            throw new GcException(e.getMessage(), e);
        }
        UUID fsId = superblockFsId(store, keys);
        if (!plan.fsId().equals(fsId)) {
            throw new GcException("the GC resume file " + resumeFile + " belongs to filesystem " + plan.fsId() + ", not to "
                    + fsId + " in " + store.location());
        }
        return carryOut(plan, lastPartWritten(plan), resumeFile);
    }

    /** The highest record part of the plan's run in the bucket (0 if none): its deletes may not have happened yet. */
    private int lastPartWritten(GcPlan plan) {
        int last = 0;
        int parts = (plan.remove().size() + PART_ENTRIES - 1) / PART_ENTRIES;
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.gcPrefix() + plan.run() + "/")::iterator) {
            for (int p = last; p < parts; p++) {
                if (o.key().equals(keys.gcRecord(plan.run(), p))) {
                    last = p;
                }
            }
        }
        return last;
    }

    private Outcome carryOut(GcPlan plan, int from, Path resumeFile) throws GcException {
        int parts = (plan.remove().size() + PART_ENTRIES - 1) / PART_ENTRIES;
        long removed = 0;
        long bytes = 0;
        for (int p = 0; p < from; p++) {
            for (GcRecord.Entry e : plan.part(p, PART_ENTRIES).entries()) {
                removed++;
                bytes += e.storedBytes();
            }
        }
        List<BatchDeleteResult.Failure> failures = new ArrayList<>();
        try {
            for (int p = from; p < parts; p++) {
                GcRecord record = plan.part(p, PART_ENTRIES);
                writeRecord(record);
                List<String> chunkKeys = record.entries().stream().map(e -> keys.chunk(e.id())).toList();
                BatchDeleteResult r = store.deleteAll(chunkKeys);
                failures.addAll(r.failures());
                for (GcRecord.Entry e : record.entries()) {
                    String k = keys.chunk(e.id());
                    if (r.failures().stream().noneMatch(f -> f.key().equals(k))) {
                        removed++;
                        bytes += e.storedBytes();
                    }
                }
                listener.removing(removed, plan.remove().size(), bytes);
            }
        } catch (ObjectStoreException e) {
            throw new GcException("GC stopped: " + e.getMessage() + (resumeFile == null ? ""
                    : "; continue it with pacsfs gc --apply --resume"), e);
        }
        if (resumeFile != null) {
            try {
                Files.deleteIfExists(resumeFile);
            } catch (IOException e) {
                throw new GcException("GC is done, but its resume file " + resumeFile + " could not be deleted: " + e.getMessage(), e);
            }
        }
        LogPrune.Outcome pruned = LogPruner.apply(store, keys, plan.prune());
        return new Outcome(removed, bytes, parts, from, failures, pruned);
    }

    private void writeRecord(GcRecord record) {
        String key = keys.gcRecord(record.run(), record.part());
        try {
            store.put(key, record.encode(), PutCondition.ifNoneMatch());
        } catch (ObjectStoreException.PreconditionFailed e) {
            // written by the interrupted part of this run (resume) or by a retried request: it names these chunks
            GcRecord.decode(store.get(key).bytes(), key);
        }
    }

    private static UUID superblockFsId(ObjectStore store, BucketKeys keys) throws GcException {
        try {
            return Superblock.read(store, keys).orElseThrow(() -> new GcException(
                    "the bucket holds no pacsfs filesystem (no superblock) at " + store.location())).fsId();
        } catch (SuperblockException | ObjectStoreException e) {
            throw new GcException("cannot read the superblock of " + store.location() + ": " + e.getMessage(), e);
        }
    }
}
