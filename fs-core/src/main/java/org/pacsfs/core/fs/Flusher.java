package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkCodec;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.bucket.EncodedChunk;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;
import org.pacsfs.wal.RecordCursor;
import org.pacsfs.wal.WalRecord;
import org.pacsfs.wal.WriteLog;
import org.pacsfs.wal.WriteLogException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships the write-log to the bucket, in LSN order, on one background thread.
 *
 * <p>One batch: read the records after the last shipped LSN; cut the file data of write records into chunks (data
 * of several files packed together, up to {@link ShipConfig#maxChunkBytes()}); upload the chunks in parallel
 * (If-None-Match); then write the next metadata log segment with If-None-Match — the commit. Only then are extents
 * repointed from the log to the chunks and the log released up to the batch's last LSN. Transient S3 errors are
 * retried forever with capped exponential backoff (the bytes are safe in the log); a permanent error stops the
 * flusher loudly and leaves everything in the log.
 *
 * <p>Every write-log record becomes exactly one operation of the segment, in LSN order; tail rewrites (copies of
 * bytes a file already had, see {@link #tailRewrite}) come first and change nothing but where bytes are stored.
 */
final class Flusher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Flusher.class);
    /**
     * How long a checkpoint capture waits for writes in flight; new writes wait as long (then it tries again 1 s
     * later). Short, because a write waiting for space in a full write-log waits for this very thread to ship: then
     * checkpoints are deferred until shipping catches up, and each attempt costs writers at most this.
     */
    private static final long GATE_TIMEOUT_MILLIS = 50;

    private final LocalFileSystem fs;
    private final WriteLog wal;
    private final LocalIndex index;
    private final ObjectStore store;
    private final BucketKeys keys;
    private final ChunkCodec codec;
    private final ChunkReader reader;
    private final ShipConfig config;
    private final UUID fsId;
    private final UUID walId;
    private final ExecutorService uploads;
    private final Thread thread;
    private final Object monitor = new Object();
    /** Bytes of file data appended but not yet shipped (approximate: drives batching only). */
    private final AtomicLong pendingBytes = new AtomicLong();
    private final AtomicLong bytesUploaded = new AtomicLong();
    private final AtomicLong putRequests = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong chunksUploaded = new AtomicLong();
    /** Threads waiting out a backoff after a failure (see {@link #pause}): the shipper is retrying while above 0. */
    private final java.util.concurrent.atomic.AtomicInteger backingOff = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicLong rewrittenBytes = new AtomicLong();

    private final java.util.Map<UUID, CheckpointFormat.Writer> writers;
    private final Checkpointer checkpointer;
    private volatile boolean checkpointRequested;
    private volatile long checkpointRetryAt;
    private volatile long checkpointDoneSeq = -1;
    /** A checkpoint captured ahead of the shipped position, waiting for the segment that ends at its LSN. */
    private CheckpointCapture capture;
    /** While {@link #capture} waits: no batch crosses this LSN, so that one segment ends exactly there. */
    private long cutLsn = Long.MAX_VALUE;
    /**
     * Shipped log segments are deleted off the flusher thread (unlinking 64 MiB files took 5-12% of its time with no
     * upload in flight, fs-core/BENCHMARKS.md); one thread, so releases happen in LSN order.
     */
    private final ExecutorService releaser;
    /** Checkpoints are uploaded off the flusher thread, one at a time, so that shipping goes on meanwhile. */
    private final ExecutorService checkpointWriter;
    private volatile boolean checkpointWriting;
    private final AtomicLong checkpointsWritten = new AtomicLong();
    private final AtomicLong checkpointsCapturedUnshipped = new AtomicLong();
    private final AtomicLong checkpointPauseMaxNanos = new AtomicLong();
    private final AtomicLong checkpointPauseTotalNanos = new AtomicLong();
    private volatile long shippedLsn;
    private volatile long headSeq;
    private volatile byte[] headSha;
    private volatile long firstPendingNanos;
    /** Ship at once until this LSN is shipped (fsync with durability remote, unmount, tests). */
    private final AtomicLong urgentUpTo = new AtomicLong();
    private volatile boolean running = true;
    private volatile String failure;

    Flusher(LocalFileSystem fs, WriteLog wal, LocalIndex index, ObjectStore store, BucketKeys keys, ChunkCodec codec,
            ChunkReader reader, ShipConfig config, UUID fsId, UUID walId, BucketLog.Head head, Checkpointer checkpointer) {
        this.fs = fs;
        this.wal = wal;
        this.index = index;
        this.store = store;
        this.keys = keys;
        this.codec = codec;
        this.reader = reader;
        this.config = config;
        this.fsId = fsId;
        this.walId = walId;
        this.shippedLsn = head.shippedLsn(walId);
        this.batchLimit = config.maxSegmentBytes();
        this.writers = new java.util.LinkedHashMap<>(head.writers());
        this.checkpointer = checkpointer;
        this.headSeq = head.seq();
        this.headSha = head.sha256();
        int nice = config.effectiveBackgroundNice();
        this.uploads = Executors.newFixedThreadPool(config.uploadParallelism(), BackgroundPriority.daemonThreads("pacsfs-upload", nice));
        this.releaser = Executors.newSingleThreadExecutor(BackgroundPriority.daemonThreads("pacsfs-wal-release", nice));
        this.checkpointWriter = Executors.newSingleThreadExecutor(BackgroundPriority.daemonThreads("pacsfs-checkpoint", nice));
        this.thread = BackgroundPriority.daemonThreads("pacsfs-flusher", nice).newThread(this::run);
    }

    void start() {
        thread.start();
    }

    /** Called after every append: wakes the flusher when a batch is full. */
    void appended(long dataBytes) {
        if (firstPendingNanos == 0) {
            firstPendingNanos = System.nanoTime();
        }
        if (pendingBytes.addAndGet(dataBytes) >= config.batchBytes()) {
            wake();
        }
    }

    long shippedLsn() {
        return shippedLsn;
    }

    long headSeq() {
        return headSeq;
    }

    String failure() {
        return failure;
    }

    long bytesUploaded() {
        return bytesUploaded.get();
    }

    long putRequests() {
        return putRequests.get();
    }

    long retries() {
        return retries.get();
    }

    long rewrittenBytes() {
        return rewrittenBytes.get();
    }

    /** Chunk objects written (log segments and checkpoints not included). */
    long chunksUploaded() {
        return chunksUploaded.get();
    }

    /** True while some shipping thread waits out a backoff after a failed request or batch. */
    boolean retrying() {
        return backingOff.get() > 0;
    }

    /** False once the shipping thread has ended: after close, or after a failure it cannot retry ({@link #failure()}). */
    boolean alive() {
        return thread.isAlive();
    }

    /**
     * Waits until everything up to {@code lsn} is committed in the bucket, shipping at once.
     *
     * @return false if the timeout passed first
     * @throws FsException.Io if the flusher stopped on a permanent error
     */
    boolean awaitShipped(long lsn, long timeoutNanos) throws FsException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (shippedLsn < lsn) {
            if (failure != null) {
                throw new FsException.Io("shipping to the bucket stopped: " + failure, null);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            urgentUpTo.accumulateAndGet(lsn, Math::max);
            wake();
            synchronized (monitor) {
                if (shippedLsn < lsn && failure == null) {
                    try {
                        monitor.wait(Math.max(1, Math.min(100, left / 1_000_000)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new FsException.Io("interrupted while waiting for the bucket", e);
                    }
                }
            }
        }
        return true;
    }

    private void wake() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    private void run() {
        Backoff idle = new Backoff(config.initialBackoff(), config.maxBackoff());
        while (running) {
            try {
                if (checkpointWanted()) {
                    tryCheckpoint();
                }
                if (!due()) {
                    synchronized (monitor) {
                        if (running && !due() && !checkpointWanted()) {
                            monitor.wait(50);
                        }
                    }
                    continue;
                }
                shipBatch();
                idle.reset();
            } catch (InterruptedException e) {
                return;
            } catch (PermanentFailure e) {
                failure = e.getMessage();
                LOG.error("shipping to {} stopped: {}. Everything not shipped stays in the local write-log; fix the cause and remount.",
                        store.location(), e.getMessage(), e.getCause());
                wake();
                return;
            } catch (RuntimeException | WriteLogException | FsException e) {
                LOG.error("shipping batch failed, retrying: {}", e.toString(), e);
                pause(idle.nextDelayNanos());
            } catch (OutOfMemoryError e) {
                // Often a peak (uploads in flight, cached chunks); the data is safe in the write-log, so retry rather
                // than let the thread die silently, with smaller batches and none prepared ahead, so that a heap too
                // small for the configured batch size still ships (more slowly) instead of failing the same way forever.
                ahead = null;
                batchLimit = Math.max(config.maxChunkBytes(), batchLimit / 2);
                batchesSinceOom = 0;
                LOG.error("shipping batch ran out of memory (heap {} MiB), retrying with batches of at most {} MiB; give the "
                        + "mount more heap (-Xmx)", Runtime.getRuntime().maxMemory() >> 20, batchLimit >> 20);
                pause(idle.nextDelayNanos());
            } catch (Error e) {
                failure = "shipping stopped by an internal error: " + e;
                LOG.error("shipping to {} stopped by an internal error; everything not shipped stays in the local write-log",
                        store.location(), e);
                wake();
                return;
            }
        }
    }

    private boolean due() {
        if (wal.lastLsn() <= shippedLsn) {
            return false;
        }
        if (shippedLsn < urgentUpTo.get() || pendingBytes.get() >= config.batchBytes()) {
            return true;
        }
        long first = firstPendingNanos;
        if (first == 0) {
            firstPendingNanos = System.nanoTime(); // records found without a notice (after a restart): start waiting now
            return config.flushDelay().isZero();
        }
        return System.nanoTime() - first >= config.flushDelay().toNanos();
    }

    /** A planned write: the record's data and where it goes. */
    record Placement(long ino, long offset, int length, long lsn, int dataOffset, ByteBuffer data, int opIndex) {
        /** The same placement without its bytes: once packed, the record's payload must not stay reachable. */
        Placement packed() {
            return new Placement(ino, offset, length, lsn, dataOffset, null, opIndex);
        }
    }

    /** A tail rewrite: file bytes already in small chunks, copied into this batch's chunk of the same file. */
    private record Rewrite(long ino, long offset, ByteBuffer data, java.util.Set<List<Long>> fromChunks) {
    }

    /**
     * Where each piece goes: chunks are filled per file (a file with at least {@link ShipConfig#packBelowBytes()} in
     * the batch gets chunks of its own, so a large sequential file is stored in full-size chunks even when other files'
     * writes are interleaved); the data of files with less is packed together into shared chunks, so that a series of
     * DICOM instances of a few hundred KiB each costs one PUT per few instances, not one per file.
     */
    private static final class Packer {
        final List<ByteBuffer> chunks = new ArrayList<>();
        final List<Boolean> sealed = new ArrayList<>();
        final int max;
        final java.util.function.IntConsumer onSealed;

        /** {@code onSealed} gets each chunk's index as soon as nothing more goes into it (its upload can start). */
        Packer(int max, java.util.function.IntConsumer onSealed) {
            this.max = max;
            this.onSealed = onSealed;
        }

        /** Places {@code data} in the chunk {@code current} names (or a new one); returns {chunk index, offset}. */
        int[] place(ByteBuffer data, int[] current) {
            if (current[0] < 0 || chunks.get(current[0]).remaining() < data.remaining()) {
                if (current[0] >= 0) {
                    seal(current[0]);
                }
                // headroom for the object header: the chunk is encoded in place, not copied (ChunkCodec.encodeWithHeadroom)
                chunks.add(ByteBuffer.wrap(new byte[ChunkCodec.HEADER_SIZE + max], ChunkCodec.HEADER_SIZE, max).slice());
                sealed.add(false);
                current[0] = chunks.size() - 1;
            }
            ByteBuffer c = chunks.get(current[0]);
            int at = c.position();
            c.put(data.duplicate());
            return new int[] {current[0], at};
        }

        /** A file's chunk that holds less than maxChunkBytes is sealed when the file's pieces are all placed. */
        void seal(int index) {
            if (!sealed.get(index)) {
                sealed.set(index, true);
                onSealed.accept(index);
            }
        }

        void sealAll() {
            for (int i = 0; i < chunks.size(); i++) {
                seal(i);
            }
        }
    }

    /** A batch read from the log and packed, its chunk uploads started; committed by {@link #commit}. */
    private record Batch(long from, long last, long dataBytes, List<MetaSegment.Op> ops, List<MetaSegment.Op> allOps,
                         java.util.LinkedHashMap<Long, List<Placement>> byFile, List<Rewrite> rewrites,
                         List<int[]> rewriteSpots, Packer packer, List<Future<ChunkRef>> uploads) {
    }

    /** The next batch, prepared while the previous one commits, so that the link to S3 stays busy. */
    private Batch ahead;

    /**
     * Most file data per batch: {@link ShipConfig#maxSegmentBytes()}, halved after each OutOfMemoryError (down to one
     * chunk) and doubled back after {@link #BATCHES_BEFORE_GROWING} batches in a row without one. Below the configured
     * size no batch is prepared ahead. Flusher thread only.
     */
    private long batchLimit;
    private int batchesSinceOom;
    private static final int BATCHES_BEFORE_GROWING = 16;

    private void shipBatch() throws WriteLogException, InterruptedException, FsException {
        String lost = fs.readOnlyReason();
        if (lost != null) {
            throw new PermanentFailure(lost, null);
        }
        Batch b = ahead != null ? ahead : prepare(shippedLsn + 1);
        ahead = null;
        if (b == null) {
            return;
        }
        try {
            if (batchLimit >= config.maxSegmentBytes() && wal.lastLsn() > b.last()
                    && (urgentUpTo.get() > b.last() || pendingBytes.get() - b.dataBytes() >= config.batchBytes())) {
                ahead = prepare(b.last() + 1);
            }
            commit(b);
            if (batchLimit < config.maxSegmentBytes() && ++batchesSinceOom >= BATCHES_BEFORE_GROWING) {
                batchLimit = Math.min(config.maxSegmentBytes(), batchLimit * 2);
                batchesSinceOom = 0;
            }
            if (capture != null && shippedLsn >= capture.lsn()) {
                completeCapture();
            }
        } catch (WriteLogException | InterruptedException | RuntimeException e) {
            ahead = null; // prepared against a head that did not move: prepare again from the shipped LSN
            throw e;
        }
    }

    private Batch prepare(long from) throws WriteLogException {
        long until = from <= cutLsn ? Math.min(wal.lastLsn(), cutLsn) : wal.lastLsn();
        // Records are read (CRC32C-verified) before they are forced: commit() forces them before the segment that
        // names them is written, so they are durable locally by the time the bucket has them (see there).
        firstPendingNanos = 0;
        List<MetaSegment.Op> ops = new ArrayList<>();
        java.util.LinkedHashMap<Long, List<Placement>> byFile = new java.util.LinkedHashMap<>();
        long dataBytes = 0;
        long last = from - 1;
        try (RecordCursor cursor = wal.readFrom(from)) {
            while (last < until && dataBytes < batchLimit && cursor.next()) {
                WalRecord r = cursor.record();
                last = r.lsn();
                ByteBuffer p = r.payload();
                if (r.type() == FsRecord.TYPE_MUTATIONS) {
                    ops.add(new MetaSegment.Op(MetaSegment.OP_MUTATIONS, bytes(p, 0, p.limit()), -1, 0));
                    continue;
                }
                FsRecord.Write w = FsRecord.readWrite(p.duplicate());
                ByteBuffer data = p.duplicate().position(w.dataOffset()).limit(w.dataOffset() + w.length()).slice();
                byFile.computeIfAbsent(w.inode().ino(), k -> new ArrayList<>())
                        .add(new Placement(w.inode().ino(), w.offset(), w.length(), r.lsn(), w.dataOffset(), data, ops.size()));
                ops.add(new MetaSegment.Op(MetaSegment.OP_CHUNK_WRITE, bytes(p, 0, w.dataOffset()), -1, 0));
                dataBytes += w.length();
            }
        }
        if (last < from) {
            return null;
        }
        for (List<Placement> pieces : byFile.values()) {
            java.util.Set<Integer> gone = new java.util.HashSet<>();
            for (Placement pl : superseded(pieces)) {
                MetaSegment.Op op = ops.get(pl.opIndex);
                ops.set(pl.opIndex, new MetaSegment.Op(MetaSegment.OP_WRITE_SUPERSEDED, op.body(), -1, 0));
                gone.add(pl.opIndex);
            }
            pieces.removeIf(pl -> gone.contains(pl.opIndex));
        }
        byFile.values().removeIf(List::isEmpty);
        List<Future<ChunkRef>> uploadsInFlight = new ArrayList<>();
        Packer[] packerRef = new Packer[1];
        Packer packer = new Packer(config.maxChunkBytes(), i -> {
            while (uploadsInFlight.size() <= i) {
                uploadsInFlight.add(null);
            }
            uploadsInFlight.set(i, startUpload(packerRef[0].chunks.get(i)));
        });
        packerRef[0] = packer;
        List<MetaSegment.Op> rewriteOps = new ArrayList<>();
        List<Rewrite> rewrites = new ArrayList<>();
        List<int[]> rewriteSpots = new ArrayList<>();
        int[] sharedChunk = {-1};
        for (List<Placement> pieces : byFile.values()) {
            Rewrite rw = tailRewrite(pieces.get(0));
            long total = rw == null ? 0 : rw.data.remaining();
            for (Placement pl : pieces) {
                total += pl.length;
            }
            int[] current = total >= config.packBelowBytes() ? new int[] {-1} : sharedChunk;
            if (rw != null) {
                int[] spot = packer.place(rw.data, current);
                rewrites.add(rw);
                rewriteSpots.add(spot);
                ByteBuffer body = ByteBuffer.allocate(20).putLong(rw.ino).putLong(rw.offset).putInt(rw.data.remaining());
                rewriteOps.add(new MetaSegment.Op(MetaSegment.OP_CHUNK_REWRITE, body.array(), spot[0], spot[1]));
            }
            for (java.util.ListIterator<Placement> it = pieces.listIterator(); it.hasNext(); ) {
                Placement pl = it.next();
                int[] spot = packer.place(pl.data, current);
                MetaSegment.Op op = ops.get(pl.opIndex);
                ops.set(pl.opIndex, new MetaSegment.Op(op.type(), op.body(), spot[0], spot[1]));
                // The bytes are in the chunk now; keeping the record's payload would double the batch's memory (and
                // with the batch prepared ahead, quadruple it) until the commit.
                it.set(pl.packed());
            }
            if (current != sharedChunk && current[0] >= 0) {
                packer.seal(current[0]); // this file's last chunk of the batch: upload it now
            }
        }
        packer.sealAll();
        List<MetaSegment.Op> allOps = new ArrayList<>(rewriteOps.size() + ops.size());
        allOps.addAll(rewriteOps); // rewrites describe the state at the start of the segment: they come first
        allOps.addAll(ops);
        return new Batch(from, last, dataBytes, ops, allOps, byFile, rewrites, rewriteSpots, packer, uploadsInFlight);
    }

    private void commit(Batch b) throws WriteLogException, InterruptedException {
        // Ship only what is durable locally: after a power loss the local log must still hold everything the bucket
        // has from it, or new records would reuse LSNs the bucket already names. Forced here, while the batch's chunks
        // are still uploading, and not when the batch is prepared: the flusher thread is the pipeline's one serial
        // stage, and an fdatasync of up to a whole batch there kept the uploads waiting for their next chunks
        // (fs-core/BENCHMARKS.md). Chunks uploaded before the force are harmless if it fails: no segment names them.
        wal.sync(b.last());
        List<ChunkRef> refs = awaitUploads(b.uploads());
        List<byte[]> encodedRefs = new ArrayList<>(refs.size());
        for (ChunkRef ref : refs) {
            ByteBuffer e = ByteBuffer.allocate(ChunkRef.ENCODED_SIZE);
            ref.encode(e);
            encodedRefs.add(e.array());
        }
        MetaSegment seg = new MetaSegment(headSeq + 1, headSha, fsId, walId, b.from(), b.last(), System.currentTimeMillis() * 1_000_000L,
                encodedRefs, b.allOps());
        byte[] encoded = seg.encode();
        commitSegment(seg.seq(), encoded);
        // Committed: from here on this batch must never be shipped again, whatever happens locally.
        headSeq = seg.seq();
        headSha = MetaSegment.sha256(encoded);
        writers.put(walId, new CheckpointFormat.Writer(b.last(), seg.seq()));
        try {
            for (int i = 0; i < refs.size(); i++) {
                ChunkId id = refs.get(i).id();
                index.putChunkRef(ChunkReader.hi(id), ChunkReader.lo(id), encodedRefs.get(i));
                reader.offer(id, b.packer().chunks.get(i).duplicate().flip());
            }
            for (int i = 0; i < b.rewrites().size(); i++) {
                Rewrite rw = b.rewrites().get(i);
                ChunkId id = refs.get(b.rewriteSpots().get(i)[0]).id();
                fs.applyRewrite(rw.ino, rw.offset, rw.data.remaining(), ChunkReader.hi(id), ChunkReader.lo(id), b.rewriteSpots().get(i)[1], rw.fromChunks);
                if (capture != null) {
                    capture.rewrite(rw.ino, rw.offset, rw.data.remaining(), ChunkReader.hi(id), ChunkReader.lo(id), b.rewriteSpots().get(i)[1], rw.fromChunks);
                }
            }
            for (List<Placement> pieces : b.byFile().values()) {
                for (Placement pl : pieces) {
                    MetaSegment.Op op = b.ops().get(pl.opIndex);
                    ChunkId id = refs.get(op.chunkIndex()).id();
                    fs.repoint(pl.ino, pl.offset, pl.length, pl.lsn, pl.dataOffset, ChunkReader.hi(id), ChunkReader.lo(id), op.chunkOffset());
                    if (capture != null) {
                        capture.repoint(pl.ino, pl.offset, pl.length, pl.lsn, pl.dataOffset, ChunkReader.hi(id), ChunkReader.lo(id), op.chunkOffset());
                    }
                }
            }
        } catch (RuntimeException e) {
            // The bucket has the batch but the local index does not point at it: keep the log (no release) and stop;
            // a remount rebuilds the index from the bucket and the log.
            fs.failLocally("after committing log segment " + seg.seq() + ", updating the local index failed: " + e);
            throw new PermanentFailure("local index update after commit of segment " + seg.seq() + " failed: " + e, e);
        }
        shippedLsn = b.last();
        rewrittenBytes.addAndGet(b.rewrites().stream().mapToLong(r -> r.data.remaining()).sum());
        pendingBytes.addAndGet(-b.dataBytes());
        if (pendingBytes.get() < 0) {
            pendingBytes.set(0);
        }
        if (wal.lastLsn() > shippedLsn && firstPendingNanos == 0) {
            firstPendingNanos = System.nanoTime();
        }
        releaseLater(b.last());
        wake();
        LOG.debug("shipped LSN {}..{} as segment {} with {} chunks ({} data bytes, {} rewrites)", b.from(), b.last(), seg.seq(),
                refs.size(), b.dataBytes(), b.rewrites().size());
    }

    /**
     * Lets the write-log delete what is shipped up to {@code lsn}. A failed deletion is only logged: the next release
     * (a higher LSN) deletes every segment at or below it again.
     */
    private void releaseLater(long lsn) {
        try {
            releaser.execute(() -> {
                try {
                    wal.release(lsn);
                } catch (WriteLogException | RuntimeException e) {
                    LOG.warn("the write-log could not delete shipped records up to LSN {} (retried with the next batch): {}", lsn, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: the next mount releases what the bucket has
        }
    }

    /**
     * The writes of one file (in LSN order) whose bytes later writes of the same batch overwrite completely: not
     * worth uploading (e.g. small appends followed by the log's compaction of their block).
     */
    static List<Placement> superseded(List<Placement> pieces) {
        List<Placement> out = new ArrayList<>();
        java.util.TreeMap<Long, Long> covered = new java.util.TreeMap<>(); // start -> end, disjoint
        for (int i = pieces.size() - 1; i >= 0; i--) {
            Placement pl = pieces.get(i);
            long start = pl.offset;
            long end = pl.offset + pl.length;
            java.util.Map.Entry<Long, Long> e = covered.floorEntry(start);
            if (e != null && e.getValue() >= end) {
                out.add(pl);
                continue;
            }
            // merge [start, end) into the covered set
            if (e != null && e.getValue() >= start) {
                start = e.getKey();
                end = Math.max(end, e.getValue());
                covered.remove(e.getKey());
            }
            java.util.Map.Entry<Long, Long> n = covered.ceilingEntry(start);
            while (n != null && n.getKey() <= end) {
                end = Math.max(end, n.getValue());
                covered.remove(n.getKey());
                n = covered.ceilingEntry(start);
            }
            covered.put(start, end);
        }
        return out;
    }

    /**
     * If the file's first write in this batch continues bytes that sit in small chunk pieces (a growing file shipped
     * a little at a time), those bytes are copied into this batch's chunk so that the file does not pile up tiny
     * chunks: re-uploaded bytes per file and batch are below minChunkBytes.
     */
    private Rewrite tailRewrite(Placement first) {
        List<long[]> tail = fs.chunkTail(first.ino, first.offset, config.minChunkBytes());
        if (tail.isEmpty()) {
            return null;
        }
        long start = tail.get(0)[0];
        int len = (int) (first.offset - start);
        ByteBuffer data = ByteBuffer.allocate(len);
        java.util.Set<List<Long>> from = new java.util.HashSet<>();
        try {
            for (long[] t : tail) {
                ByteBuffer window = data.duplicate().position((int) (t[0] - start)).limit((int) (t[0] - start + t[1]));
                reader.read(t[2], t[3], (int) t[4], window);
                from.add(List.of(t[2], t[3]));
            }
        } catch (FsException e) {
            LOG.warn("tail rewrite of inode {} skipped: {}", first.ino, e.getMessage());
            return null;
        }
        return new Rewrite(first.ino, start, data, from);
    }

    private Future<ChunkRef> startUpload(ByteBuffer chunk) {
        ByteBuffer raw = chunk.duplicate().flip();
        return uploads.submit(() -> {
            EncodedChunk enc = codec.encodeWithHeadroom(ChunkId.random(), raw);
            putWithRetry(keys.chunk(enc.id()), enc.stored(), null, enc.ref().crc32c());
            // Before the commit is harmless: a chunk no segment names is never looked up, and the disk tier evicts it.
            reader.offerStored(enc.id(), enc.stored(), enc.ref().crc32c());
            return enc.ref();
        });
    }

    private static List<ChunkRef> awaitUploads(List<Future<ChunkRef>> futures) throws InterruptedException {
        List<ChunkRef> refs = new ArrayList<>(futures.size());
        for (Future<ChunkRef> f : futures) {
            try {
                refs.add(f.get());
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof PermanentFailure p) {
                    throw p;
                }
                if (cause instanceof OutOfMemoryError oom) {
                    throw oom; // handled like one in the flusher thread: smaller batches
                }
                throw new IllegalStateException("chunk upload failed: " + cause, cause);
            }
        }
        return refs;
    }

    private void commitSegment(long seq, byte[] encoded) throws InterruptedException {
        putWithRetry(keys.logSegment(seq), ByteBuffer.wrap(encoded), encoded, null);
    }

    /**
     * PUT with If-None-Match, retried forever on transient errors. If the object already exists, an earlier attempt
     * whose response was lost may have written it: for a segment ({@code expected} given) the content must be ours,
     * otherwise another writer committed this position and we stop; a chunk's id is unique, so it is ours.
     */
    private void putWithRetry(String key, ByteBuffer body, byte[] expected, Integer crc32c) throws InterruptedException {
        Backoff backoff = new Backoff(config.initialBackoff(), config.maxBackoff());
        while (true) {
            try {
                putRequests.incrementAndGet();
                if (crc32c == null) {
                    store.put(key, body.duplicate(), PutCondition.ifNoneMatch());
                } else {
                    store.put(key, body.duplicate(), PutCondition.ifNoneMatch(), crc32c); // the chunk's, computed by the codec
                }
                bytesUploaded.addAndGet(body.remaining());
                if (expected == null) {
                    chunksUploaded.incrementAndGet();
                }
                return;
            } catch (ObjectStoreException.PreconditionFailed e) {
                if (expected == null) {
                    return;
                }
                byte[] there = getWithRetry(key, backoff);
                if (Arrays.equals(there, expected)) {
                    return; // our earlier attempt landed; only its response was lost
                }
                throw new PermanentFailure("metadata log segment " + key + " was written by another writer: this mount "
                        + "no longer owns the filesystem (lease taken over?)", e);
            } catch (ObjectStoreException.Transient e) {
                retries.incrementAndGet();
                long delay = backoff.nextDelayNanos();
                if (backoff.attempts() == 1 || backoff.attempts() % 20 == 0) {
                    LOG.warn("S3 PUT of {} failed transiently ({}); retrying (attempt {}), data is safe in the write-log",
                            key, e.getMessage(), backoff.attempts());
                }
                pause(delay);
                if (!running) {
                    throw new InterruptedException("flusher stopped");
                }
            } catch (ObjectStoreException.Permanent | ObjectStoreException.NotFound e) {
                throw new PermanentFailure("S3 refused " + key + ": " + e.getMessage(), e);
            }
        }
    }

    /** A checkpoint should be started now: none is waiting for shipping or being uploaded, and one is asked for or due. */
    private boolean checkpointWanted() {
        return capture == null && !checkpointWriting && (checkpointRequested || checkpointDue());
    }

    /** Due after checkpointInterval with new segments, whether or not writes go on (they need not pause). */
    private boolean checkpointDue() {
        return System.nanoTime() - checkpointRetryAt >= 0 && headSeq > checkpointer.lastSeq()
                && checkpointer.nanosSinceLast() >= config.checkpointInterval().toNanos();
    }

    /**
     * Captures the changed part of the index at the write-log's last LSN with the gate closed (writers wait only
     * for the copy of the changed keys' values), then opens the gate. If everything is shipped, the capture is the
     * state at the log head and is written at once; otherwise batches are cut at its LSN and it is completed when
     * the segment ending there commits ({@link CheckpointCapture}, docs/DECISIONS.md "Checkpoints under load").
     */
    private void tryCheckpoint() {
        if (headSeq == checkpointer.lastSeq()) {
            finishCheckpoint(headSeq);
            return;
        }
        long closing = System.nanoTime();
        if (!fs.gate.close(GATE_TIMEOUT_MILLIS)) {
            // a writer stayed inside longer (e.g. waiting for space in a full write-log): try again a little later
            checkpointRetryAt = System.nanoTime() + 1_000_000_000L;
            return;
        }
        CheckpointCapture c;
        try {
            c = CheckpointCapture.take(index, wal.lastLsn());
        } finally {
            fs.gate.open();
        }
        long pause = System.nanoTime() - closing;
        checkpointPauseMaxNanos.accumulateAndGet(pause, Math::max);
        checkpointPauseTotalNanos.addAndGet(pause);
        if (c.lsn() <= shippedLsn) {
            write(c, headSeq, headSha);
            return;
        }
        capture = c;
        cutLsn = c.lsn();
        checkpointsCapturedUnshipped.incrementAndGet();
        urgentUpTo.accumulateAndGet(c.lsn(), Math::max); // do not let the tail wait flushDelay: the checkpoint waits for it
        LOG.debug("checkpoint captured at LSN {} ({} ms with writers held back); shipping up to it", c.lsn(), pause / 1_000_000);
    }

    /** The segment ending at the capture's LSN is committed (and is the head): the capture becomes its checkpoint. */
    private void completeCapture() {
        CheckpointCapture c = capture;
        capture = null;
        cutLsn = Long.MAX_VALUE;
        if (shippedLsn != c.lsn()) {
            // cannot happen while batches are cut at the capture's LSN; never write a checkpoint of another position
            abandon(c, "the shipped position " + shippedLsn + " passed the captured LSN " + c.lsn());
            return;
        }
        write(c, headSeq, headSha);
    }

    private void write(CheckpointCapture c, long seq, byte[] sha) {
        List<CheckpointFormat.Entry> entries;
        try {
            entries = c.entries(index);
        } catch (RuntimeException e) {
            abandon(c, e.toString());
            return;
        }
        java.util.Map<UUID, CheckpointFormat.Writer> w = new java.util.LinkedHashMap<>(writers);
        checkpointWriting = true;
        try {
            checkpointWriter.execute(() -> {
                try {
                    checkpointer.write(seq, sha, c.maxIno(), w, entries);
                    checkpointsWritten.incrementAndGet();
                    finishCheckpoint(seq);
                } catch (RuntimeException e) {
                    abandon(c, e.toString());
                } finally {
                    checkpointWriting = false;
                    wake();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            checkpointWriting = false; // closing
            index.restoreDirty(c.dirty());
        }
    }

    /** The changed keys go back to the index, so the next checkpoint (in 5 s at the earliest) includes them. */
    private void abandon(CheckpointCapture c, String why) {
        index.restoreDirty(c.dirty());
        checkpointRequested = false;
        checkpointRetryAt = System.nanoTime() + 5_000_000_000L;
        LOG.warn("checkpoint at LSN {} failed, will try again in 5 s: {}", c.lsn(), why);
        wake();
    }

    private void finishCheckpoint(long seq) {
        checkpointDoneSeq = seq;
        if (seq >= headSeq) { // a request (unmount) wants one at the head; an earlier one under load does not do
            checkpointRequested = false;
        }
        wake();
    }

    long checkpointsWritten() {
        return checkpointsWritten.get();
    }

    /** Captures taken while records were waiting to be shipped (the checkpoint followed the shipping). */
    long checkpointsCapturedUnshipped() {
        return checkpointsCapturedUnshipped.get();
    }

    long checkpointPauseMaxNanos() {
        return checkpointPauseMaxNanos.get();
    }

    long checkpointPauseTotalNanos() {
        return checkpointPauseTotalNanos.get();
    }

    long checkpointSeq() {
        return checkpointer.lastSeq();
    }

    /** Asks for a checkpoint at the current head (clean unmount); true if one exists there within the timeout. */
    boolean checkpointNow(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        checkpointRequested = true;
        wake();
        synchronized (monitor) {
            while (checkpointer.lastSeq() != headSeq && failure == null && running) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !checkpointRequested) {
                    return checkpointer.lastSeq() == headSeq; // done, or failed (the flusher cleared the request)
                }
                try {
                    monitor.wait(Math.max(1, Math.min(50, left / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return checkpointer.lastSeq() == headSeq;
    }

    private byte[] getWithRetry(String key, Backoff backoff) throws InterruptedException {
        while (true) {
            try {
                return store.get(key).bytes();
            } catch (ObjectStoreException.Transient e) {
                retries.incrementAndGet();
                pause(backoff.nextDelayNanos());
                if (!running) {
                    throw new InterruptedException("flusher stopped");
                }
            }
        }
    }

    /**
     * Waits without interrupting anything: an interrupt of a thread inside FileChannel I/O closes the channel, and
     * this thread reads the write-log.
     */
    /**
     * Waits {@code nanos} unless the flusher stops. The monitor is also notified by every write that wants shipping;
     * those notifications must not cut a retry backoff short (during an outage with busy writers that turned the
     * capped exponential backoff into a retry every few milliseconds).
     */
    private void pause(long nanos) {
        backingOff.incrementAndGet();
        try {
            waitOut(nanos);
        } finally {
            backingOff.decrementAndGet();
        }
    }

    private void waitOut(long nanos) {
        long deadline = System.nanoTime() + nanos;
        synchronized (monitor) {
            while (running) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    monitor.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static byte[] bytes(ByteBuffer p, int from, int to) {
        byte[] b = new byte[to - from];
        p.duplicate().position(from).limit(to).get(b);
        return b;
    }

    @Override
    public void close() {
        running = false;
        wake();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        uploads.shutdownNow();
        // the write-log is closed after this: let pending releases finish first
        releaser.shutdown();
        try {
            releaser.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        checkpointWriter.shutdown();
        try {
            if (!checkpointWriter.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
                checkpointWriter.shutdownNow();
            }
        } catch (InterruptedException e) {
            checkpointWriter.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** The flusher cannot go on without an operator (access denied, bucket gone, another writer). */
    static final class PermanentFailure extends RuntimeException {
        PermanentFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
