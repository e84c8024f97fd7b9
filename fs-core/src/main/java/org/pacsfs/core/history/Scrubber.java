package org.pacsfs.core.history;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLongArray;
import org.pacsfs.cache.ChunkKey;
import org.pacsfs.cache.CorruptChunkException;
import org.pacsfs.cache.DiskBlocks;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.bucket.Superblock;
import org.pacsfs.core.bucket.SuperblockException;
import org.pacsfs.core.fs.LogSegments;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;
import org.pacsfs.core.store.RetryingObjectStore;

/**
 * Scrub: checks the chunks the metadata log references (all, or a {@link ScrubSelection sample}), each exactly as
 * {@link LogVerifier} does (present; size, CRC32C, SHA-256 as the log recorded; header and payload decode), and
 * repairs a chunk that is missing or damaged in the bucket from an intact copy in a local disk cache.
 *
 * <p><b>Repair never uploads anything that does not verify.</b> The disk cache keeps a chunk's <em>stored</em> bytes
 * (the object exactly as it was in the bucket, docs/FORMAT.md "Chunk cache blocks"); a copy is uploaded only if its
 * block verifies and its bytes have exactly the size, CRC32C and SHA-256 the log recorded and decode. It is put under
 * the same key (chunk objects are immutable and the log's SHA-256 names their content, so putting the identical bytes
 * again changes nothing for any reader): with {@code If-None-Match: *} where the object is missing, so a concurrent
 * repair is never overwritten; unconditionally over a damaged object (what replaces it is the only content that key
 * may have). Then the object is read back and checked again: only then is the chunk {@code REPAIRED}.
 *
 * <p><b>Resume:</b> after each segment whose chunks were all checked, the position and totals are saved (at most once
 * per {@code saveEvery}, and whenever the run stops on an exception) to a {@link ScrubState} file; a run with
 * {@code resume} continues after that segment with the same selection. A completed run deletes the file.
 *
 * <p>The segments' hash chain is not judged here ({@link LogVerifier} does that); a segment that is missing or does
 * not decode is reported, since its chunks cannot be enumerated. Reads only, apart from repairs; takes no lease, and
 * may run while the filesystem is mounted (a repair writes only bytes that a reader would accept).
 */
public final class Scrubber {

    /** Told what happens; {@link #chunk} from worker threads, the others from the scrubbing thread. */
    public interface Listener {
        default void chunk(ChunkOutcome outcome) {
        }

        default void segmentProblem(Problem problem) {
        }

        default void segmentDone(long seq, long lastSeq, ScrubTotals totals) {
        }
    }

    private static final int SEGMENTS = 0;
    private static final int CHUNKS = 1;
    private static final int BYTES = 2;
    private static final int OK = 3;
    private static final int REPAIRED = 4;
    private static final int NOT_REPAIRED = 5;
    private static final int UNREPAIRABLE = 6;
    private static final int UNREADABLE = 7;
    private static final int SEGMENT_PROBLEMS = 8;

    private final ObjectStore store;
    private final BucketKeys keys;
    private final ChunkInspector inspector;
    private final int parallelism;
    private final Path diskCache;
    private final Path stateFile;
    private final Duration saveEvery;
    private final Listener listener;
    private final Clock clock;
    private volatile ScrubState completed;
    private long lastSaveMs = Long.MIN_VALUE;

    /**
     * @param store       the store; transient errors are retried for up to two minutes per request
     * @param prefix      the filesystem's prefix in the store ("" when the store already points at it)
     * @param parallelism chunk GETs in flight, 1..256
     * @param diskCache   a disk cache directory (the mount's {@code CACHE-DIR/cache}) to repair from; null: no repair
     * @param stateFile   where to keep the resume state; null: not resumable
     * @param saveEvery   how often at most the state is saved while running
     * @param listener    told about each chunk and segment; may be null
     * @param clock       for the start time recorded in the state
     */
    public Scrubber(ObjectStore store, String prefix, int parallelism, Path diskCache, Path stateFile, Duration saveEvery,
                    Listener listener, Clock clock) {
        if (parallelism < 1 || parallelism > 256) {
            throw new IllegalArgumentException("parallelism must be 1..256, got " + parallelism);
        }
        this.store = new RetryingObjectStore(store, Duration.ofMinutes(2), Duration.ofSeconds(5));
        this.keys = BucketKeys.under(prefix);
        this.inspector = new ChunkInspector(this.store, keys);
        this.parallelism = parallelism;
        this.diskCache = diskCache;
        this.stateFile = stateFile;
        this.saveEvery = saveEvery;
        this.listener = listener == null ? new Listener() { } : listener;
        this.clock = clock;
    }

    /**
     * Scrubs. With {@code resume} and a saved state, continues after its last completed segment with its selection
     * ({@code requested} must then be null or equal to it); otherwise starts at segment 1 with {@code requested}
     * (null: all chunks).
     */
    public ScrubReport run(ScrubSelection requested, boolean resume) throws ScrubException {
        UUID fsId = readSuperblock();
        ScrubState start = startState(fsId, requested, resume);
        completed = start;
        ScrubTotals totals;
        try {
            totals = walk(start);
        } catch (RuntimeException | Error e) {
            // Stopped part-way: keep the position of the last segment that was completed, for --resume.
            try {
                saveProgress();
            } catch (IOException s) {
                e.addSuppressed(s);
            }
            throw e;
        }
        long lastSeq = completed.lastSeq();
        synchronized (this) {
            completed = null; // nothing left to resume: a late saveProgress (a shutdown hook) must not bring it back
            deleteState();
        }
        return new ScrubReport(fsId, start.selection(), start.lastSeq(), lastSeq, totals);
    }

    /** Saves the position of the last completed segment now (e.g. from a shutdown hook on Ctrl-C). */
    public synchronized void saveProgress() throws IOException {
        ScrubState s = completed;
        if (stateFile != null && s != null) {
            s.save(stateFile);
        }
    }

    private UUID readSuperblock() throws ScrubException {
        try {
            Optional<Superblock> sb = Superblock.read(store, keys);
            if (sb.isEmpty()) {
                throw new ScrubException("no pacsfs filesystem here (" + keys.superblock() + " is missing): is this the right bucket and prefix?");
            }
            return sb.get().fsId();
        } catch (SuperblockException e) {
            throw new ScrubException("the superblock does not verify (" + e.getMessage() + "); run pacsfs verify", e);
        } catch (ObjectStoreException e) {
            throw new ScrubException("cannot read the superblock: " + e.getMessage(), e);
        }
    }

    private ScrubState startState(UUID fsId, ScrubSelection requested, boolean resume) throws ScrubException {
        Optional<ScrubState> saved = Optional.empty();
        if (resume && stateFile != null) {
            try {
                saved = ScrubState.load(stateFile);
            } catch (IOException e) {
                throw new ScrubException(e.getMessage(), e);
            }
        }
        if (saved.isEmpty()) {
            ScrubSelection selection = requested == null ? ScrubSelection.all() : requested;
            return new ScrubState(fsId, selection, 0, clock.millis(), ScrubTotals.ZERO);
        }
        ScrubState s = saved.get();
        if (!s.fsId().equals(fsId)) {
            throw new ScrubException("the scrub resume file " + stateFile + " belongs to filesystem " + s.fsId() + ", not " + fsId
                    + "; delete it, or run without --resume");
        }
        if (requested != null && !requested.equals(s.selection())) {
            throw new ScrubException("the interrupted scrub checked " + s.selection() + ", not " + requested
                    + "; resume it without --sample/--all/--seed, or start a new one without --resume");
        }
        return s;
    }

    private ScrubTotals walk(ScrubState start) {
        AtomicLongArray counters = new AtomicLongArray(start.totals().toArray());
        TreeSet<Long> present = LogVerifier.segmentSeqs(store, keys, (key, why) -> { });
        long last = present.isEmpty() ? 0 : present.last();
        Set<ChunkId> seen = new HashSet<>();
        // Chunks pacsfs gc removed after the retention are expired, not missing: not scrubbed (verify judges the records).
        Map<ChunkId, GcRecord> removedByGc = GcRecords.read(store, keys, start.fsId(), p -> { });
        ExecutorService pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "pacsfs-scrub");
            t.setDaemon(true);
            return t;
        });
        try {
            // After gc pruned the log, it begins at the log base: the segments below it are not part of it (verify
            // judges the base; scrub only needs to know where the chunk references start).
            long base = org.pacsfs.core.bucket.LogBases.list(store, keys).keySet().stream().max(Long::compare).orElse(1L);
            long first = Math.max(start.lastSeq() + 1, base);
            for (long seq = base > 1 && start.lastSeq() < base - 1 ? base - 1 : first; seq <= last; seq++) {
                // Segment B-1 is gone after a prune: its place is taken by the state in the log base's checkpoint.
                List<ChunkRef> refs = seq == base - 1 ? baseStateChunks(start, counters)
                        : present.contains(seq) ? segmentChunks(seq, counters) : missingSegment(seq, counters);
                List<ChunkRef> chosen = new ArrayList<>();
                for (ChunkRef ref : refs) {
                    if (start.selection().chosen(ref.id()) && !GcRecords.expired(removedByGc, ref.id(), seq) && seen.add(ref.id())) {
                        chosen.add(ref);
                    }
                }
                scrubChunks(chosen, counters, pool);
                counters.incrementAndGet(SEGMENTS);
                ScrubTotals totals = snapshot(counters);
                completed = new ScrubState(start.fsId(), start.selection(), seq, start.startedMs(), totals);
                listener.segmentDone(seq, last, totals);
                saveIfDue();
            }
            return snapshot(counters);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The chunks the state in the log base's checkpoint references (scrubbed as if segment B-1 referenced them). */
    private List<ChunkRef> baseStateChunks(ScrubState start, AtomicLongArray counters) {
        List<ChunkRef> refs = new ArrayList<>();
        try {
            org.pacsfs.core.bucket.LogBase b = org.pacsfs.core.bucket.LogBases.newest(store, keys, start.fsId()).orElseThrow();
            LogSegments.forEachStateChunk(store, keys, b.fsId(), b.checkpointSeq(), b.checkpointName(), refs::add, id -> { });
        } catch (RuntimeException e) {
            segmentProblem(new Problem(Problem.Kind.LOG_BASE_DAMAGED, relative(keys.logBasePrefix()), "the chunks of the log "
                    + "base's state cannot be enumerated: " + e.getMessage() + " (run pacsfs verify)"), counters);
        }
        return refs;
    }

    private List<ChunkRef> missingSegment(long seq, AtomicLongArray counters) {
        segmentProblem(new Problem(Problem.Kind.SEGMENT_MISSING, relative(keys.logSegment(seq)),
                "not in the bucket: the chunks it references cannot be enumerated (run pacsfs verify)"), counters);
        return List.of();
    }

    private List<ChunkRef> segmentChunks(long seq, AtomicLongArray counters) {
        String key = keys.logSegment(seq);
        String rel = relative(key);
        try {
            return LogSegments.decode(store.get(key).bytes(), rel).chunks();
        } catch (ObjectStoreException.NotFound e) {
            return missingSegment(seq, counters);
        } catch (ObjectStoreException e) {
            segmentProblem(new Problem(Problem.Kind.UNREADABLE, rel, e.getMessage()), counters);
        } catch (IllegalArgumentException e) {
            segmentProblem(new Problem(Problem.Kind.SEGMENT_DAMAGED, rel, e.getMessage()
                    + ": the chunks it references cannot be enumerated (run pacsfs verify)"), counters);
        }
        return List.of();
    }

    private void segmentProblem(Problem p, AtomicLongArray counters) {
        counters.incrementAndGet(SEGMENT_PROBLEMS);
        listener.segmentProblem(p);
    }

    private void scrubChunks(List<ChunkRef> refs, AtomicLongArray counters, ExecutorService pool) {
        Semaphore inFlight = new Semaphore(parallelism * 2);
        List<Future<?>> pending = new ArrayList<>();
        for (ChunkRef ref : refs) {
            inFlight.acquireUninterruptibly();
            pending.add(pool.submit(() -> {
                try {
                    ChunkOutcome o = scrub(ref, counters);
                    counters.incrementAndGet(CHUNKS);
                    counters.incrementAndGet(switch (o.status()) {
                        case OK -> OK;
                        case REPAIRED -> REPAIRED;
                        case NOT_REPAIRED -> NOT_REPAIRED;
                        case UNREPAIRABLE -> UNREPAIRABLE;
                        case UNREADABLE -> UNREADABLE;
                    });
                    listener.chunk(o);
                } finally {
                    inFlight.release();
                }
            }));
        }
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("scrub interrupted", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("scrub failed unexpectedly: " + e.getCause(), e.getCause());
            }
        }
    }

    /** Checks one chunk and repairs it if asked and possible. */
    private ChunkOutcome scrub(ChunkRef ref, AtomicLongArray counters) {
        String rel = relative(keys.chunk(ref.id()));
        ChunkInspector.Finding f = inspector.inspect(ref);
        if (f instanceof ChunkInspector.Finding.Intact i) {
            counters.addAndGet(BYTES, i.storedBytes());
            return new ChunkOutcome(ChunkOutcome.Status.OK, rel, "");
        }
        if (f instanceof ChunkInspector.Finding.Unreadable u) {
            return new ChunkOutcome(ChunkOutcome.Status.UNREADABLE, rel, u.message());
        }
        String wrong;
        if (f instanceof ChunkInspector.Finding.Damaged d) {
            counters.addAndGet(BYTES, d.storedBytes());
            wrong = "damaged in the bucket (" + d.mismatch() + ")";
        } else {
            wrong = "missing in the bucket";
        }
        if (diskCache == null) {
            return new ChunkOutcome(ChunkOutcome.Status.NOT_REPAIRED, rel, wrong + "; not repaired (no --repair)");
        }
        return repair(ref, rel, wrong, f instanceof ChunkInspector.Finding.Missing);
    }

    private ChunkOutcome repair(ChunkRef ref, String rel, String wrong, boolean missing) {
        byte[] copy;
        try {
            copy = intactCopy(ref);
        } catch (NoCopy e) {
            return new ChunkOutcome(ChunkOutcome.Status.UNREPAIRABLE, rel, wrong + "; " + e.getMessage());
        }
        try {
            store.put(keys.chunk(ref.id()), copy, missing ? PutCondition.ifNoneMatch() : PutCondition.none());
        } catch (ObjectStoreException.PreconditionFailed e) {
            // It appeared meanwhile (another scrub, or our own PUT whose reply was lost and retried): judged below.
        } catch (ObjectStoreException e) {
            return new ChunkOutcome(ChunkOutcome.Status.UNREPAIRABLE, rel, wrong + "; the upload of the intact copy failed: " + e.getMessage());
        }
        ChunkInspector.Finding after = inspector.inspect(ref);
        if (after instanceof ChunkInspector.Finding.Intact) {
            return new ChunkOutcome(ChunkOutcome.Status.REPAIRED, rel, wrong + "; restored from the disk cache " + diskCache
                    + " (read back and verified)");
        }
        return new ChunkOutcome(ChunkOutcome.Status.UNREPAIRABLE, rel, wrong + "; an intact copy was uploaded, but reading it back "
                + "does not verify (" + describe(after) + "): the bucket does not keep what it is given");
    }

    /** The local copy of the chunk's stored object, only if it is exactly what the log recorded. */
    private byte[] intactCopy(ChunkRef ref) throws NoCopy {
        byte[] id = ref.id().toBytes();
        ChunkKey key = new ChunkKey(ByteBuffer.wrap(id).getLong(0), ByteBuffer.wrap(id).getLong(8));
        ByteBuffer payload;
        try {
            payload = DiskBlocks.read(diskCache, key);
        } catch (CorruptChunkException e) {
            throw new NoCopy("the disk cache's copy is damaged too (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new NoCopy("the disk cache's copy cannot be read (" + e + ")");
        }
        if (payload == null) {
            throw new NoCopy("no copy in the disk cache " + diskCache);
        }
        byte[] copy = new byte[payload.remaining()];
        payload.get(copy);
        String mismatch = inspector.mismatch(ref, copy);
        if (mismatch != null) {
            throw new NoCopy("the disk cache's copy is not the object the log recorded (" + mismatch + "); nothing uploaded");
        }
        return copy;
    }

    private static String describe(ChunkInspector.Finding f) {
        if (f instanceof ChunkInspector.Finding.Damaged d) {
            return d.mismatch();
        }
        if (f instanceof ChunkInspector.Finding.Unreadable u) {
            return u.message();
        }
        return "missing";
    }

    /** Why there is no intact local copy. */
    private static final class NoCopy extends Exception {
        NoCopy(String message) {
            super(message, null, false, false);
        }
    }

    private static ScrubTotals snapshot(AtomicLongArray counters) {
        long[] v = new long[counters.length()];
        for (int i = 0; i < v.length; i++) {
            v[i] = counters.get(i);
        }
        return ScrubTotals.fromArray(v);
    }

    private synchronized void saveIfDue() {
        long now = clock.millis();
        if (stateFile != null && (lastSaveMs == Long.MIN_VALUE || now - lastSaveMs >= saveEvery.toMillis())) {
            lastSaveMs = now;
            saveQuietly();
        }
    }

    private void saveQuietly() {
        try {
            saveProgress();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot save the scrub's position to " + stateFile + ": " + e.getMessage(), e);
        }
    }

    private void deleteState() {
        if (stateFile != null) {
            try {
                Files.deleteIfExists(stateFile);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot remove the scrub resume file " + stateFile + ": " + e.getMessage(), e);
            }
        }
    }

    private String relative(String key) {
        return key.substring(keys.prefix().length());
    }
}
