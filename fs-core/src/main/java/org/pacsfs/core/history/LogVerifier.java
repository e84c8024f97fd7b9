package org.pacsfs.core.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.bucket.Superblock;
import org.pacsfs.core.bucket.SuperblockException;
import org.pacsfs.core.fs.LogSegments;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.RetryingObjectStore;

/**
 * Audits a filesystem in a bucket without mounting it: walks the metadata log's hash chain from segment 1 (or from
 * the log base, {@link LogBaseCheck}, after gc pruned the log) to the head, checks each segment's own checksum and its link to the predecessor, and checks every chunk a segment
 * references against what the log recorded (present; size, CRC32C and SHA-256 of the stored object; then header and
 * payload decode). Checkpoint manifests and an operator's {@link HeadAnchor} are compared with the chain, which is how
 * the removal of the newest segments is detected (the log itself cannot show what follows its last object).
 *
 * <p>It never stops at the first problem: every problem is named, so that one run tells the whole damage. It reads
 * only, takes no lease, and may run while the filesystem is mounted: checkpoints are listed before the log, so any
 * checkpoint it sees is at or before a segment it lists (a checkpoint is written after its segment); segments
 * committed after the listing are simply not part of this run.
 *
 * <p>A referenced chunk that {@code pacsfs gc} removed after the retention is counted as expired, not reported missing,
 * when a GC record that verifies names it and the referencing segment is at or before that record's base segment
 * (whose SHA-256 the record must name as the chain has it); see {@link GarbageCollector}.
 *
 * <p>Chunks are fetched in parallel ({@code parallelism} GETs at once), segment by segment, so memory holds one
 * segment's chunks in flight plus the set of chunk ids seen (16 bytes each), not the whole bucket.
 */
public final class LogVerifier {

    /** Called from the verifying thread after each segment and its chunks were checked. */
    public interface Progress {
        void segmentDone(long seq, long lastSeq, long chunks, long chunkBytes, int problems);
    }

    private final ObjectStore store;
    private final BucketKeys keys;
    private final int parallelism;
    private final Progress progress;
    private final ChunkInspector inspector;
    private final java.time.Clock clock;

    /**
     * @param store       the store; transient errors are retried for up to two minutes per request
     * @param prefix      the filesystem's prefix in the store ("" when the store already points at it)
     * @param parallelism chunk GETs in flight, 1..256
     * @param progress    told after each segment; may be null
     */
    public LogVerifier(ObjectStore store, String prefix, int parallelism, Progress progress) {
        this(store, prefix, parallelism, progress, java.time.Clock.systemUTC());
    }

    /** As {@link #LogVerifier(ObjectStore, String, int, Progress)}, judging the log base's time by {@code clock}. */
    public LogVerifier(ObjectStore store, String prefix, int parallelism, Progress progress, java.time.Clock clock) {
        this.clock = clock;
        if (parallelism < 1 || parallelism > 256) {
            throw new IllegalArgumentException("parallelism must be 1..256, got " + parallelism);
        }
        this.store = new RetryingObjectStore(store, Duration.ofMinutes(2), Duration.ofSeconds(5));
        this.keys = BucketKeys.under(prefix);
        this.inspector = new ChunkInspector(this.store, keys);
        this.parallelism = parallelism;
        this.progress = progress == null ? (s, l, c, b, p) -> { } : progress;
    }

    /** Verifies the whole filesystem; {@code anchor} (may be null) is a head recorded earlier. */
    public VerifyReport verify(HeadAnchor anchor) {
        Run run = new Run(anchor);
        return run.execute();
    }

    /**
     * The positions of the segments under {@code log/}, in order; each key that is not a segment key is given to
     * {@code unexpected} with the reason. Shared with {@link Scrubber}.
     */
    static TreeSet<Long> segmentSeqs(ObjectStore store, BucketKeys keys, BiConsumer<String, String> unexpected) {
        TreeSet<Long> seqs = new TreeSet<>();
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.logPrefix())::iterator) {
            try {
                long seq = keys.parseLogSeq(o.key());
                if (seq == 0) {
                    throw new IllegalArgumentException("segment numbers start at 1");
                }
                seqs.add(seq);
            } catch (IllegalArgumentException e) {
                unexpected.accept(o.key(), "not a log segment key: " + e.getMessage());
            }
        }
        return seqs;
    }

    /** The state of one verification. */
    private final class Run {
        private final HeadAnchor anchor;
        private final List<Problem> problems = Collections.synchronizedList(new ArrayList<>());
        private final Set<ChunkId> seen = new HashSet<>();
        private final AtomicLong chunks = new AtomicLong();
        private final AtomicLong chunkBytes = new AtomicLong();
        /** Missing chunks a GC record names as expired: counted once the walk has compared the records with the chain. */
        private final List<Problem> expiredPending = Collections.synchronizedList(new ArrayList<>());
        private final Set<GcRecord> distrusted = new HashSet<>();
        private Map<ChunkId, GcRecord> removedByGc = Map.of();
        private final Map<Long, List<GcRecord>> gcBases = new HashMap<>();
        private UUID fsId;
        /** Where the log begins (the log base, or segment 1). */
        private LogBaseCheck.Start start = new LogBaseCheck.Start(null, 1, LogSegments.NO_PREDECESSOR);

        Run(HeadAnchor anchor) {
            this.anchor = anchor;
        }

        VerifyReport execute() {
            fsId = readSuperblock();
            Map<Long, List<LogSegments.CheckpointAnchor>> checkpoints = readCheckpoints();
            readGcRecords();
            start = LogBaseCheck.check(store, keys, fsId, retention(), clock.instant(), problems::add);
            TreeSet<Long> all = listSegments();
            TreeSet<Long> present = new TreeSet<>(all.tailSet(start.firstSeq(), true));
            long last = present.isEmpty() ? 0 : present.last();
            // Segments a checkpoint or the anchor saw must still be there, even after the last object listed.
            for (long cp : checkpoints.keySet()) {
                last = Math.max(last, cp);
            }
            if (anchor != null) {
                last = Math.max(last, anchor.seq());
            }
            for (long base : gcBases.keySet()) {
                last = Math.max(last, base); // a GC run saw that segment
            }
            HeadAnchor head = walk(present, last, checkpoints);
            long expired = settleExpired();
            long unreferenced = countUnreferenced();
            return new VerifyReport(fsId, head, present.size(), chunks.get(), chunkBytes.get(),
                    checkpoints.values().stream().mapToInt(List::size).sum(), unreferenced, problems, expired, start.base(),
                    all.size() - present.size());
        }

        private java.time.Duration retention() {
            try {
                return org.pacsfs.core.bucket.FsSettings.read(store, keys).orElse(org.pacsfs.core.bucket.FsSettings.DEFAULTS).retention();
            } catch (RuntimeException e) {
                return org.pacsfs.core.bucket.FsSettings.DEFAULTS.retention(); // a damaged settings.json is reported elsewhere
            }
        }

        private UUID readSuperblock() {
            try {
                Optional<Superblock> sb = Superblock.read(store, keys);
                if (sb.isEmpty()) {
                    problems.add(new Problem(Problem.Kind.SUPERBLOCK_DAMAGED, keys.superblock(),
                            "missing: is this the right bucket and prefix?"));
                    return null;
                }
                return sb.get().fsId();
            } catch (SuperblockException e) {
                problems.add(new Problem(Problem.Kind.SUPERBLOCK_DAMAGED, keys.superblock(), e.getMessage()));
                return null;
            } catch (ObjectStoreException e) {
                problems.add(new Problem(Problem.Kind.UNREADABLE, keys.superblock(), e.getMessage()));
                return null;
            }
        }

        /** Checkpoint manifests by log position. A damaged manifest is a problem here (a mount would skip it). */
        private Map<Long, List<LogSegments.CheckpointAnchor>> readCheckpoints() {
            Map<Long, List<LogSegments.CheckpointAnchor>> out = new HashMap<>();
            for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.checkpointsPrefix())::iterator) {
                if (!o.key().endsWith(".manifest")) {
                    continue;
                }
                String rel = relative(o.key());
                try {
                    LogSegments.CheckpointAnchor a = LogSegments.decodeManifest(store.get(o.key()).bytes(), rel);
                    if (a.seq() != keys.parseCheckpointSeq(o.key())) {
                        problems.add(new Problem(Problem.Kind.CHECKPOINT_MISMATCH, rel, "says it is at log position " + a.seq()));
                    } else if (fsId != null && !fsId.equals(a.fsId())) {
                        problems.add(new Problem(Problem.Kind.CHECKPOINT_MISMATCH, rel, "belongs to filesystem " + a.fsId()));
                    } else {
                        out.computeIfAbsent(a.seq(), s -> new ArrayList<>()).add(a);
                    }
                } catch (IllegalArgumentException e) {
                    problems.add(new Problem(Problem.Kind.CHECKPOINT_MISMATCH, rel, "does not verify: " + e.getMessage()));
                } catch (ObjectStoreException.NotFound e) {
                    // removed between listing and reading: nothing to compare
                }
            }
            return out;
        }

        private TreeSet<Long> listSegments() {
            return segmentSeqs(store, keys, (key, why) -> problems.add(new Problem(Problem.Kind.UNEXPECTED_OBJECT, relative(key), why)));
        }

        /** Walks 1..last; returns the head (the last segment, as stored) or null if it is missing. */
        private HeadAnchor walk(TreeSet<Long> present, long last, Map<Long, List<LogSegments.CheckpointAnchor>> checkpoints) {
            ExecutorService pool = Executors.newFixedThreadPool(parallelism, r -> {
                Thread t = new Thread(r, "pacsfs-verify");
                t.setDaemon(true);
                return t;
            });
            try {
                byte[] prev = start.prev();
                HeadAnchor head = null;
                compareAtBase(checkpoints);
                checkBaseState(pool);
                for (long seq = start.firstSeq(); seq <= last; seq++) {
                    int before = problems.size();
                    byte[] sha = present.contains(seq) ? checkSegment(seq, prev, pool) : missing(seq);
                    boolean linkOk = !hasProblemWith(relative(keys.logSegment(seq)), before);
                    compareAnchors(seq, sha, checkpoints);
                    compareGcBases(seq, sha);
                    // After a segment that is itself wrong, the next link cannot be judged: the damage is named once.
                    prev = linkOk ? sha : null;
                    head = sha == null ? null : new HeadAnchor(seq, sha);
                    progress.segmentDone(seq, last, chunks.get(), chunkBytes.get(), problems.size());
                }
                return head;
            } finally {
                pool.shutdownNow();
            }
        }

        /**
         * At the log base, the hash of segment B-1 is the base's: checkpoints, GC records and the anchor at B-1 are
         * compared with it. Those before B-1 name pruned segments: nothing is left to compare them with.
         */
        private void compareAtBase(Map<Long, List<LogSegments.CheckpointAnchor>> checkpoints) {
            if (start.base() != null && start.prev() != null) { // a base that does not tie was named once already
                long seq = start.firstSeq() - 1;
                compareAnchors(seq, start.base().prevSha256(), checkpoints);
                compareGcBases(seq, start.base().prevSha256());
            }
        }

        private boolean hasProblemWith(String key, int from) {
            synchronized (problems) {
                return problems.subList(from, problems.size()).stream().anyMatch(p -> p.key().equals(key));
            }
        }

        private byte[] missing(long seq) {
            problems.add(new Problem(Problem.Kind.SEGMENT_MISSING, relative(keys.logSegment(seq)), "not in the bucket"));
            return null;
        }

        /**
         * Checks one segment and its chunks; returns the SHA-256 of the object as stored (null if it cannot be read).
         * {@code prev} is the predecessor's hash, null when the predecessor is missing (then the link cannot be checked,
         * and the missing predecessor was already named).
         */
        private byte[] checkSegment(long seq, byte[] prev, ExecutorService pool) {
            String key = keys.logSegment(seq);
            String rel = relative(key);
            byte[] bytes;
            try {
                bytes = store.get(key).bytes();
            } catch (ObjectStoreException.NotFound e) {
                return missing(seq);
            } catch (ObjectStoreException e) {
                problems.add(new Problem(Problem.Kind.UNREADABLE, rel, e.getMessage()));
                return null;
            }
            byte[] sha = LogSegments.sha256(bytes);
            LogSegments.Segment seg;
            try {
                seg = LogSegments.decode(bytes, rel);
            } catch (IllegalArgumentException e) {
                problems.add(new Problem(Problem.Kind.SEGMENT_DAMAGED, rel, e.getMessage()));
                return sha;
            }
            if (seg.seq() != seq) {
                problems.add(new Problem(Problem.Kind.SEGMENT_OUT_OF_CHAIN, rel, "says it is segment " + seg.seq()));
            } else if (fsId != null && !fsId.equals(seg.fsId())) {
                problems.add(new Problem(Problem.Kind.SEGMENT_OUT_OF_CHAIN, rel, "belongs to filesystem " + seg.fsId() + ", not " + fsId));
            } else if (prev != null && !Arrays.equals(prev, seg.prevSha256())) {
                problems.add(new Problem(Problem.Kind.SEGMENT_OUT_OF_CHAIN, rel, seq == 1
                        ? "names a predecessor, but it is the first segment"
                        : seq == start.firstSeq() ? "does not name the SHA-256 the log base " + relative(keys.logBase(seq))
                                + " records for segment " + (seq - 1) + ": the base or the segment was replaced"
                        : "does not name the SHA-256 of " + relative(keys.logSegment(seq - 1))
                                + ": the chain is broken between them (one of the two was replaced)"));
            }
            if (fsId == null) {
                fsId = seg.fsId();
            }
            checkChunks(seg, rel, pool);
            return sha;
        }

        private void checkChunks(LogSegments.Segment seg, String segmentKey, ExecutorService pool) {
            checkRefs(seg.chunks(), seg.seq(), segmentKey, pool);
        }

        /**
         * The chunks of the state the log base's checkpoint holds (after segment B-1): checked like a segment's, as
         * referenced by segment B-1 (a GC run whose base is B-1 or later may have removed them as expired). A
         * checkpoint whose state cannot be enumerated, or that references a chunk without its ref, is named.
         */
        private void checkBaseState(ExecutorService pool) {
            org.pacsfs.core.bucket.LogBase b = start.base();
            if (b == null || start.prev() == null) {
                return; // no base, or one that does not tie (named already)
            }
            String baseKey = relative(keys.logBase(b.seq()));
            String label = "the state after segment " + b.checkpointSeq() + " in the log base's checkpoint "
                    + relative(keys.checkpoint(b.checkpointSeq(), b.checkpointName() + ".manifest"));
            List<ChunkRef> batch = new ArrayList<>();
            try {
                LogSegments.forEachStateChunk(store, keys, b.fsId(), b.checkpointSeq(), b.checkpointName(), ref -> {
                    batch.add(ref);
                    if (batch.size() >= 10_000) {
                        checkRefs(batch, b.checkpointSeq(), label, pool);
                        batch.clear();
                    }
                }, id -> problems.add(new Problem(Problem.Kind.LOG_BASE_DAMAGED, baseKey, "its checkpoint references chunk " + id
                        + " without recording its chunk ref")));
                checkRefs(batch, b.checkpointSeq(), label, pool);
            } catch (RuntimeException e) {
                problems.add(new Problem(Problem.Kind.LOG_BASE_DAMAGED, baseKey, "the chunks of its checkpoint's state cannot be "
                        + "enumerated: " + e.getMessage()));
            }
        }

        private void checkRefs(List<ChunkRef> refs, long seq, String referencedBy, ExecutorService pool) {
            Semaphore inFlight = new Semaphore(parallelism * 2);
            List<Future<?>> pending = new ArrayList<>();
            for (ChunkRef ref : refs) {
                if (!seen.add(ref.id())) {
                    continue;
                }
                inFlight.acquireUninterruptibly();
                pending.add(pool.submit(() -> {
                    try {
                        checkChunk(ref, seq, referencedBy);
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
                    throw new IllegalStateException("verify interrupted", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("verify failed unexpectedly: " + e.getCause(), e.getCause());
                }
            }
        }

        private void checkChunk(ChunkRef ref, long seq, String segmentKey) {
            String rel = relative(keys.chunk(ref.id()));
            ChunkInspector.Finding f = inspector.inspect(ref);
            GcRecord gc = removedByGc.get(ref.id());
            if (f instanceof ChunkInspector.Finding.Missing && GcRecords.expired(removedByGc, ref.id(), seq)) {
                expiredPending.add(new Problem(Problem.Kind.CHUNK_MISSING, rel, "not in the bucket (referenced by " + segmentKey
                        + "); the GC record " + relative(keys.gcRecord(gc.run(), gc.part())) + " that names it as expired does "
                        + "not match the chain"));
            } else if (f instanceof ChunkInspector.Finding.Missing && gc != null) {
                problems.add(new Problem(Problem.Kind.CHUNK_MISSING, rel, "not in the bucket (referenced by " + segmentKey
                        + "); the GC record " + relative(keys.gcRecord(gc.run(), gc.part())) + " removed it as expired, but "
                        + "that run judged by the state after segment " + gc.baseSeq() + " and this segment is later"));
            } else if (f instanceof ChunkInspector.Finding.Missing) {
                problems.add(new Problem(Problem.Kind.CHUNK_MISSING, rel, "not in the bucket (referenced by " + segmentKey + ")"));
            } else if (f instanceof ChunkInspector.Finding.Unreadable u) {
                problems.add(new Problem(Problem.Kind.UNREADABLE, rel, u.message()));
            } else if (f instanceof ChunkInspector.Finding.Intact i) {
                count(i.storedBytes());
            } else if (f instanceof ChunkInspector.Finding.Damaged d) {
                count(d.storedBytes());
                problems.add(new Problem(Problem.Kind.CHUNK_DAMAGED, rel, d.mismatch() + " (referenced by " + segmentKey + ")"));
            }
        }

        private void count(long storedBytes) {
            chunks.incrementAndGet();
            chunkBytes.addAndGet(storedBytes);
        }

        private void compareAnchors(long seq, byte[] sha, Map<Long, List<LogSegments.CheckpointAnchor>> checkpoints) {
            for (LogSegments.CheckpointAnchor cp : checkpoints.getOrDefault(seq, List.of())) {
                if (sha != null && !Arrays.equals(sha, cp.logSha256())) {
                    problems.add(new Problem(Problem.Kind.CHECKPOINT_MISMATCH, relative(keys.logSegment(seq)),
                            "a checkpoint taken after it recorded another SHA-256 for it: it was replaced"));
                }
            }
            if (anchor != null && anchor.seq() == seq && (sha == null || !Arrays.equals(sha, anchor.sha256()))) {
                problems.add(new Problem(Problem.Kind.ANCHOR_MISMATCH, relative(keys.logSegment(seq)),
                        "the anchor " + anchor + " does not match " + (sha == null ? "(segment unreadable)" : "its SHA-256 now")));
            }
        }

        /**
         * The GC records: which chunks GC removed, by which run. A record that does not verify or belongs to another
         * filesystem is a problem, and what it names is not trusted (such a chunk, if gone, is missing).
         */
        private void readGcRecords() {
            removedByGc = GcRecords.read(store, keys, fsId, problems::add);
            for (GcRecord r : new HashSet<>(removedByGc.values())) {
                gcBases.computeIfAbsent(r.baseSeq(), s -> new ArrayList<>()).add(r);
            }
        }

        /**
         * The missing chunks that trusted GC records name as expired: their number. Those of a record whose base did
         * not match the chain are missing after all.
         */
        private long settleExpired() {
            long n = 0;
            for (Problem p : expiredPending) {
                GcRecord r = removedByGc.get(keys.parseChunk(keys.prefix() + p.key()));
                if (distrusted.contains(r)) {
                    problems.add(p);
                } else {
                    n++;
                }
            }
            return n;
        }

        /** A GC run's base must be a segment of this chain: the one it names, with the hash it recorded. */
        private void compareGcBases(long seq, byte[] sha) {
            for (GcRecord r : gcBases.getOrDefault(seq, List.of())) {
                if (sha == null || !Arrays.equals(sha, r.baseSha256())) {
                    distrusted.add(r);
                }
                if (sha != null && !Arrays.equals(sha, r.baseSha256())) {
                    problems.add(new Problem(Problem.Kind.GC_RECORD_MISMATCH, relative(keys.gcRecord(r.run(), r.part())),
                            "recorded another SHA-256 for its base segment " + relative(keys.logSegment(seq)) + " than the chain has"));
                }
            }
        }

        private long countUnreferenced() {
            long n = 0;
            for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.chunksPrefix())::iterator) {
                try {
                    if (!seen.contains(keys.parseChunk(o.key()))) {
                        n++;
                    }
                } catch (IllegalArgumentException e) {
                    n++;
                }
            }
            return n;
        }

        private String relative(String key) {
            return key.substring(keys.prefix().length());
        }
    }
}
