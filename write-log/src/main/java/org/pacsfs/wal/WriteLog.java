package org.pacsfs.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The local write-ahead log: a directory of segment files holding length-prefixed, CRC32C-protected records with
 * LSNs 1, 2, 3, ... (across restarts). Format: docs/FORMAT.md.
 *
 * <h2>Durability</h2>
 * {@link #append} writes the record to the active segment file (page cache) and never forces, not even when the
 * segment is full: the log then rolls to a new, uncommitted segment ({@code .wal.tmp}, see docs/FORMAT.md).
 * {@link #sync(long)} returns once every record up to that LSN is forced ({@code FileChannel.force(false)}, i.e.
 * fdatasync): it forces every segment holding unsynced records, oldest first, and commits (renames) a new segment
 * right after its own force. Concurrent syncs share one force (group commit): one thread forces everything appended
 * so far while the others wait and usually find their LSN covered. {@link SyncPolicy} only adds forces.
 *
 * <p>A failed force is never retried on the same file (after an fsync error Linux may drop the dirty pages and
 * report the next fsync as successful): the log creates a new segment, rewrites the unsynced records there and
 * forces that. Just before each force the log copies the newest {@link WriteLogConfig#unsyncedBufferBytes()} of
 * what it covers from the page cache into memory; the rewrite takes records from that memory copy, and re-reads any
 * older unsynced record from its segment file. Every record is verified (LSN, length, CRC32C for its segment) before
 * it is rewritten; if a read or a check fails, or the new segment cannot be written, the log becomes read-only
 * ({@link WriteLogReadOnlyException}) and every record that was synced stays durable. A failed write (disk full,
 * EIO) fails that append only; the log then continues in a new segment, rewriting the unsynced records the same way,
 * and keeps trying on later appends while that fails.
 *
 * <h2>Thread-safety</h2>
 * All methods are thread-safe. Appends are serialized by one lock (file order is LSN order); forces run outside it,
 * so appends continue while a force is in progress. Reads never take a lock. Interrupting a thread blocked in this
 * log's file I/O closes the channel (a JDK rule); the log treats that like an I/O error and moves to a new segment,
 * and it clears a pending interrupt while it does its own I/O (restoring it afterwards).
 *
 * <h2>Space</h2>
 * {@link #release(long)} deletes whole segments whose records are all at or below the released LSN. When the
 * segment files hold more than {@link WriteLogConfig#capacityBytes()}, appends wait up to
 * {@link WriteLogConfig#maxWaitWhenFull()} and then fail with {@link WriteLogFullException}. Released LSNs are not
 * persisted: after a restart the log holds every segment that was not deleted, and the caller releases again.
 */
public final class WriteLog implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WriteLog.class.getName());

    private final WriteLogConfig config;
    private final Path dir;
    private final RecoveryReport recoveryReport;
    private final FileChannel lockChannel;
    private final ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    /** Held while forcing and while rolling to a new segment; taken before {@link #appendLock}. */
    private final ReentrantLock syncLock = new ReentrantLock();
    /** Guards the active segment's tail, LSN assignment and the state below. */
    private final ReentrantLock appendLock = new ReentrantLock();
    private final Condition spaceFreed = appendLock.newCondition();
    /**
     * Copies of the newest unsynced records, taken from the page cache just before each force; guarded by
     * {@link #syncLock} (only forcing and rewriting threads touch it). See {@link #snapshotForForce}.
     */
    private final UnsyncedBuffer unsynced;
    /** Appends are copied here (direct memory, reused: cache-hot) and written from here; guarded by {@link #appendLock}. */
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING_BYTES);
    /** Logical offset (see {@link UnsyncedBuffer}) just after the last record appended; guarded by {@link #appendLock}. */
    private long logicalEnd;
    private final AtomicLong bytesHeld = new AtomicLong();
    private final Object releaseMonitor = new Object();
    /** Threads parked in {@link #awaitForceInProgress} (a Treiber stack); all are unparked after every force. */
    private final AtomicReference<Waiter> waiters = new AtomicReference<>();
    /** Threads inside {@link #appendLoop}: a leader about to force lets them finish first (see {@link #letAppendsJoin}). */
    private final AtomicInteger appendsInFlight = new AtomicInteger();
    private final BackgroundSyncer syncer;
    /**
     * The segments holding unsynced records, oldest first, each from its first unsynced byte; the last is always the
     * active segment's (possibly empty). Guarded by {@link #appendLock}.
     */
    private final ArrayDeque<Span> pending = new ArrayDeque<>();
    /** Ids are never reused, not even those of segment files a failed rewrite could not delete. */
    private long nextSegmentId;

    private volatile LogSegment active;
    private volatile long lastLsn;
    private volatile long syncedLsn;
    private volatile long releasedLsn;
    /** The active segment may hold a partial record after a failed write: the next append or sync rolls first. */
    private boolean needsRoll;
    private volatile String readOnlyReason;
    private volatile IOException readOnlyCause;
    private volatile boolean closed;

    private WriteLog(WriteLogConfig config, FileChannel lockChannel, Recovery.Result recovered) {
        this.config = config;
        this.dir = config.directory();
        this.lockChannel = lockChannel;
        this.recoveryReport = recovered.report();
        this.unsynced = new UnsyncedBuffer(config.unsyncedBufferBytes());
        for (LogSegment s : recovered.segments()) {
            segments.put(s.id(), s);
            bytesHeld.addAndGet(s.sizeOnDisk());
        }
        this.active = segments.lastEntry().getValue();
        this.lastLsn = active.lastLsn();
        this.syncedLsn = lastLsn;
        this.releasedLsn = segments.firstEntry().getValue().firstLsn() - 1;
        this.unsynced.reset(0);
        this.logicalEnd = 0;
        this.pending.add(new Span(active, active.end(), 0, lastLsn + 1));
        this.nextSegmentId = segments.lastKey() + 1;
        this.syncer = new BackgroundSyncer(this, config.syncPolicy() == SyncPolicy.INTERVAL ? config.syncInterval().toNanos() : 0);
    }

    /**
     * Opens (creating if needed) the log in {@link WriteLogConfig#directory()}: validates every segment, truncates a
     * torn tail (see {@link #recoveryReport()}), forces the active segment, and takes an exclusive lock on the
     * directory (file {@code LOCK}) so that a second process cannot open it.
     *
     * @throws WriteLogCorruptException if a segment fails verification anywhere but a torn tail
     * @throws WriteLogException if the directory is locked by another process or cannot be read or written
     */
    public static WriteLog open(WriteLogConfig config) throws WriteLogException {
        Path dir = config.directory();
        FileChannel lock = null;
        try {
            Files.createDirectories(dir);
            lock = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock held = lock.tryLock();
            if (held == null) {
                throw new WriteLogException("write log " + dir + " is already open by another process (LOCK is held)");
            }
            Recovery.Result recovered = Recovery.run(dir, config.channelFactory());
            if (recovered.segments().isEmpty()) {
                LogSegment first = LogSegment.create(dir, 1, 1, config.channelFactory());
                recovered = new Recovery.Result(java.util.List.of(first), recovered.report());
            }
            LogSegment last = recovered.segments().get(recovered.segments().size() - 1);
            // Records a killed process left in the page cache become durable here, so syncedLsn = lastLsn is true.
            last.channel().force(false);
            WriteLog log = new WriteLog(config, lock, recovered);
            if (config.syncPolicy() == SyncPolicy.INTERVAL) {
                log.syncer.start();
            }
            return log;
        } catch (WriteLogException e) {
            closeQuietly(lock);
            throw e;
        } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
            closeQuietly(lock);
            throw new WriteLogException("cannot open write log " + dir + ": " + e, e);
        }
    }

    /** What {@link #open} found and repaired. */
    public RecoveryReport recoveryReport() {
        return recoveryReport;
    }

    /** The configuration this log was opened with. */
    public WriteLogConfig config() {
        return config;
    }

    /**
     * Appends a record. Returns once the record is written to the segment file (not forced, unless the policy is
     * {@link SyncPolicy#EVERY_WRITE}); call {@link #sync(long)} with the returned LSN for durability.
     *
     * @param type    caller-defined record type, stored and returned as is
     * @param payload the bytes from its position to its limit; not modified (position unchanged), may be reused by the
     *                caller once this returns
     * @throws IllegalArgumentException if the payload is longer than {@link WriteLogConfig#maxPayloadBytes()}
     * @throws WriteLogFullException if the log stayed above its capacity for {@link WriteLogConfig#maxWaitWhenFull()}
     * @throws WriteLogReadOnlyException if the log became read-only
     * @throws WriteLogException if writing failed (nothing was appended; the LSN is not consumed)
     */
    public AppendResult append(byte type, ByteBuffer payload) throws WriteLogException {
        int length = payload.remaining();
        if (length > config.maxPayloadBytes()) {
            throw new IllegalArgumentException("payload of " + length + " bytes exceeds the maximum record payload of "
                    + config.maxPayloadBytes() + " bytes (segmentSizeBytes / unsyncedBufferBytes)");
        }
        CRC32C crc = RecordFormat.startCrc(payload);
        boolean interrupted = Thread.interrupted();
        try {
            AppendResult result;
            appendsInFlight.incrementAndGet();
            try {
                result = appendLoop(type, payload, crc);
            } finally {
                appendsInFlight.decrementAndGet();
            }
            if (config.syncPolicy() == SyncPolicy.EVERY_WRITE) {
                sync(result.lsn());
            }
            return result;
        } finally {
            restoreInterrupt(interrupted);
        }
    }

    /** Size of {@link #staging}: a 1 MiB payload and its header go to the file in one write. */
    private static final int STAGING_BYTES = (1 << 20) + 4096;

    private static final int WRITE = 0;
    private static final int ROLL = 1;
    private static final int REWRITE = 2;

    private AppendResult appendLoop(byte type, ByteBuffer payload, CRC32C crc) throws WriteLogException {
        int recordSize = RecordFormat.HEADER_SIZE + payload.remaining();
        long deadline = System.nanoTime() + config.maxWaitWhenFull().toNanos();
        while (true) {
            appendLock.lock();
            try {
                checkWritable();
                if (bytesHeld.get() + recordSize > config.capacityBytes()) {
                    awaitSpace(deadline, recordSize);
                    continue;
                }
                int action = nextAction(recordSize);
                if (action == ROLL) {
                    roll();
                    action = nextAction(recordSize);
                }
                if (action == WRITE) {
                    return writeRecord(type, payload, crc, recordSize);
                }
            } finally {
                appendLock.unlock();
            }
            rewriteAfterFailedWrite();
        }
    }

    private int nextAction(int recordSize) {
        if (needsRoll) {
            return REWRITE;
        }
        return active.end() + recordSize > config.segmentSizeBytes() ? ROLL : WRITE;
    }

    private void awaitSpace(long deadline, int recordSize) throws WriteLogException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new WriteLogFullException("write log full: " + dir + " holds " + bytesHeld.get() + " bytes, capacityBytes is "
                    + config.capacityBytes() + ", a record of " + recordSize + " bytes waited " + config.maxWaitWhenFull()
                    + " for release(); oldest unreleased LSN is " + oldestUnreleasedLsn());
        }
        try {
            spaceFreed.awaitNanos(left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WriteLogException("interrupted while waiting for space in write log " + dir, e);
        }
    }

    /** Caller holds {@link #appendLock}; the record fits the active segment. */
    private AppendResult writeRecord(byte type, ByteBuffer payload, CRC32C crc, int recordSize) throws WriteLogException {
        LogSegment seg = active;
        long lsn = lastLsn + 1;
        long pos = seg.end();
        int checksum = RecordFormat.finish(crc, payload.remaining(), lsn, type, seg.id());
        ByteBuffer src = payload.duplicate();
        staging.clear();
        RecordFormat.putHeader(staging, payload.remaining(), checksum, lsn, type);
        try {
            long p = pos;
            do {
                int n = Math.min(src.remaining(), staging.remaining());
                staging.put(staging.position(), src, src.position(), n);
                staging.position(staging.position() + n);
                src.position(src.position() + n);
                staging.flip();
                LogSegment.writeFully(seg.channel(), staging, p);
                p += staging.limit();
                staging.clear();
            } while (src.hasRemaining());
        } catch (IOException e) {
            seg.noteWrittenUpTo(pos + recordSize);
            needsRoll = true;
            throw new WriteLogException("append of LSN " + lsn + " (" + recordSize + " bytes) failed writing " + seg.path()
                    + " at byte " + pos + ": " + e + "; nothing was appended, the log continues in a new segment", e);
        }
        seg.maybeIndex(lsn, pos);
        seg.advance(pos + recordSize, lsn);
        lastLsn = lsn;
        logicalEnd += recordSize;
        bytesHeld.addAndGet(recordSize);
        return new AppendResult(lsn, new RecordPointer(seg.id(), pos));
    }

    /**
     * The active segment is full: continues in a new, uncommitted segment ({@link LogSegment#createPending}) without
     * forcing anything. The next sync forces the old segment first and only then commits the new one, so a committed
     * segment always follows complete ones on disk. Caller holds {@link #appendLock}.
     */
    private void roll() throws WriteLogException {
        long id = nextSegmentId++;
        LogSegment fresh;
        try {
            fresh = LogSegment.createPending(dir, id, lastLsn + 1, config.channelFactory());
        } catch (IOException e) {
            throw new WriteLogException("cannot create new segment " + LogSegment.fileName(id) + " in write log " + dir
                    + " (the active one is full): " + e + "; nothing was appended", e);
        }
        Span last = pending.peekLast();
        if (last != null && last.segment == active && last.fileStart >= active.end()) {
            pending.pollLast();
        }
        segments.put(id, fresh);
        bytesHeld.addAndGet(fresh.sizeOnDisk());
        active = fresh;
        pending.addLast(new Span(fresh, SegmentHeader.SIZE, logicalEnd, lastLsn + 1));
    }

    /** After a failed write: moves the unsynced records to a new segment (see {@link #rewriteUnsynced}). */
    private void rewriteAfterFailedWrite() throws WriteLogException {
        syncLock.lock();
        try {
            appendLock.lock();
            try {
                checkWritable();
                if (needsRoll) {
                    rewriteUnsynced();
                }
            } finally {
                appendLock.unlock();
            }
        } finally {
            syncLock.unlock();
            wakeSyncWaiters();
        }
    }

    /**
     * Returns once every record with an LSN up to {@code lsn} is on stable storage. Concurrent callers share forces.
     *
     * @throws IllegalArgumentException if {@code lsn} was not appended yet
     * @throws WriteLogReadOnlyException if a force failed and the records could not be rewritten elsewhere
     * @throws WriteLogException if the unsynced records could not be written to a new segment after a failed write,
     *                           or a new segment could not be committed (renamed; the sync may be retried)
     */
    public void sync(long lsn) throws WriteLogException {
        if (lsn > lastLsn) {
            throw new IllegalArgumentException("cannot sync LSN " + lsn + ": the last appended LSN is " + lastLsn);
        }
        if (syncedLsn >= lsn) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        try {
            while (syncedLsn < lsn) {
                if (syncLock.tryLock()) {
                    try {
                        syncLocked(lsn);
                    } finally {
                        syncLock.unlock();
                        wakeSyncWaiters();
                    }
                } else {
                    awaitForceInProgress(lsn);
                }
            }
        } finally {
            restoreInterrupt(interrupted);
        }
    }

    /**
     * Waits while another thread forces. All waiters are unparked together when a force ends and return in parallel
     * if it covered them: handing the sync lock from one waiter to the next would serialize their wake-ups (a convoy
     * that cost as much as the force itself on two cores), and so would waking them through one monitor, which each
     * must re-acquire in turn. A waiter pushes itself before it checks, and the leader unparks after it published
     * {@link #syncedLsn} and released {@link #syncLock}, so no wake-up is lost; the timed park is only a safety net.
     */
    private void awaitForceInProgress(long lsn) throws WriteLogException {
        Thread self = Thread.currentThread();
        while (true) {
            // (Re-)register before every check: a wake-up empties the stack, and the force in progress may not be
            // the one that covers this LSN.
            Waiter me = new Waiter(self);
            Waiter head;
            do {
                head = waiters.get();
                me.next = head;
            } while (!waiters.compareAndSet(head, me));
            if (syncedLsn >= lsn || !syncLock.isLocked()) {
                return;
            }
            LockSupport.parkNanos(this, WAITER_PARK_NANOS);
            if (Thread.interrupted()) {
                self.interrupt();
                throw new WriteLogException("interrupted while waiting for a force of write log " + dir);
            }
        }
    }

    private static final long WAITER_PARK_NANOS = 2_000_000L;
    static final long COMMIT_DELAY_NANOS = Long.getLong("pacsfs.wal.commitDelayMicros", 50) * 1000;

    /**
     * Group commit's "commit delay" (as PostgreSQL's {@code commit_delay}, but only when it can pay): if other threads
     * are appending right now, the leader yields to them for at most {@link #COMMIT_DELAY_NANOS} so that their records
     * make this force instead of waiting for the next one. A lone syncing thread never waits.
     */
    private void letAppendsJoin() {
        if (COMMIT_DELAY_NANOS <= 0 || appendsInFlight.get() == 0) {
            return;
        }
        long deadline = System.nanoTime() + COMMIT_DELAY_NANOS;
        while (appendsInFlight.get() > 0 && System.nanoTime() - deadline < 0) {
            Thread.yield();
        }
    }

    private void wakeSyncWaiters() {
        if (waiters.get() == null) {
            return;
        }
        for (Waiter w = waiters.getAndSet(null); w != null; w = w.next) {
            LockSupport.unpark(w.thread);
        }
    }

    /** A parked sync waiter; a stale one (already gone) only gets a harmless spurious unpark. */
    private static final class Waiter {
        final Thread thread;
        Waiter next;

        Waiter(Thread thread) {
            this.thread = thread;
        }
    }

    /**
     * The group-commit loop. Caller holds {@link #syncLock}, so at most one force round runs and no rewrite
     * interleaves. A round forces every segment holding unsynced records, oldest first; an uncommitted segment is
     * committed (renamed, directory forced) right after its own force, when everything before it is forced.
     */
    private void syncLocked(long lsn) throws WriteLogException {
        while (syncedLsn < lsn) {
            List<Span> round;
            List<Chunk> chunks;
            LogSegment act;
            long target;
            long endPos;
            letAppendsJoin();
            appendLock.lock();
            try {
                checkWritable();
                if (needsRoll) {
                    rewriteUnsynced();
                }
                dropReleasedSpans();
                round = new ArrayList<>(pending);
                act = active;
                target = lastLsn;
                endPos = act.end();
                chunks = snapshotChunks(round, logicalEnd);
            } finally {
                appendLock.unlock();
            }
            snapshotForForce(chunks);
            boolean failed = false;
            for (Span s : round) {
                LogSegment seg = s.segment;
                if (seg.released()) {
                    ensureDeleted(seg);
                    continue;
                }
                try {
                    seg.channel().force(false);
                } catch (IOException e) {
                    if (seg.released()) {
                        ensureDeleted(seg);
                        continue;
                    }
                    onForceFailure(seg, e);
                    failed = true;
                    break;
                }
                commit(seg);
                if (seg != act) {
                    appendLock.lock();
                    try {
                        syncedLsn = Math.max(syncedLsn, seg.lastLsn());
                        pending.remove(s);
                    } finally {
                        appendLock.unlock();
                    }
                }
            }
            if (failed) {
                continue;
            }
            appendLock.lock();
            try {
                if (target > syncedLsn) {
                    syncedLsn = target;
                }
                Span s = round.get(round.size() - 1);
                if (s.fileStart < endPos) {
                    s.logicalStart += endPos - s.fileStart;
                    s.fileStart = endPos;
                    s.firstLsn = target + 1;
                }
                if (act != active && s.fileStart >= act.end()) {
                    pending.remove(s);
                }
            } finally {
                appendLock.unlock();
            }
            wakeSyncWaiters();
        }
    }

    /** Renames a forced, uncommitted segment into place and forces the directory. Caller holds {@link #syncLock}. */
    private void commit(LogSegment seg) throws WriteLogException {
        if (seg.committed()) {
            return;
        }
        try {
            if (seg.commit(dir)) {
                LogSegment.forceDirectory(dir);
            }
        } catch (IOException e) {
            throw new WriteLogException("cannot commit new segment " + seg.path() + " of write log " + dir
                    + " (rename and directory force): " + e + "; its records stay unsynced, a later sync retries", e);
        }
    }

    /**
     * Forgets unsynced spans of segments that {@link #release} deleted: their records are safe elsewhere. Their files
     * must be gone before a later segment is committed (a released segment was maybe never forced: if it reappeared
     * after a crash, torn, in front of a committed segment, recovery would report missing LSNs), so this waits for a
     * deletion in progress or deletes them itself. Caller holds {@link #appendLock}.
     */
    private void dropReleasedSpans() throws WriteLogException {
        for (java.util.Iterator<Span> it = pending.iterator(); it.hasNext(); ) {
            LogSegment seg = it.next().segment;
            if (seg.released()) {
                ensureDeleted(seg);
                it.remove();
            }
        }
    }

    /** Deletes a released segment's file unless {@link #release} already did (idempotent; waits for it). */
    private void ensureDeleted(LogSegment seg) throws WriteLogException {
        try {
            seg.releaseAndDelete();
        } catch (IOException e) {
            throw new WriteLogException("cannot delete released segment " + seg.path() + " of write log " + dir + ": " + e, e);
        }
    }

    private void onForceFailure(LogSegment seg, IOException error) throws WriteLogException {
        appendLock.lock();
        try {
            LOG.log(System.Logger.Level.WARNING, "force of " + seg.path() + " failed (" + error + "); rewriting LSN "
                    + (syncedLsn + 1) + ".." + lastLsn + " to a new segment, never forcing that file again");
            try {
                rewriteUnsynced();
            } catch (IOException second) {
                second.addSuppressed(error);
                readOnlyCause = second;
                readOnlyReason = "write log " + dir + " is read-only: force of " + seg.path() + " failed (" + error
                        + ") and rewriting the unsynced records LSN " + (syncedLsn + 1) + ".." + lastLsn
                        + " to a new segment failed too (" + second + "); records up to LSN " + syncedLsn + " are durable";
                LOG.log(System.Logger.Level.ERROR, readOnlyReason);
                throw new WriteLogReadOnlyException(readOnlyReason, second);
            }
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * Moves every unsynced record to new segments after a failed force or write; the segment holding the last synced
     * record keeps only its synced prefix, and uncommitted segments holding only unsynced records are deleted. Each
     * record comes from {@link #unsynced} memory if it is still there; older ones (dropped from memory because the
     * unsynced range grew beyond {@link WriteLogConfig#unsyncedBufferBytes()}) are re-read from their segment file
     * and must verify (LSN in sequence, length in range, CRC32C): otherwise the rewrite fails and nothing changes.
     * Records are re-sealed for their new segment (the CRC32C covers the segment id). New segments are created
     * committed ({@link LogSegment#create}); when the records need more than one, each full one is forced before the
     * next is created. Caller holds both locks.
     */
    private void rewriteUnsynced() throws WriteLogException {
        dropReleasedSpans();
        Span first = pending.peekFirst();
        long fromLsn = first.firstLsn;
        for (Span s : pending) {
            if (s != first && s.segment.committed()) {
                throw new WriteLogException("internal error: committed segment " + s.segment + " follows unsynced records"
                        + " of " + first.segment + "; refusing to rewrite");
            }
        }
        long memTo = unsynced.end();
        long memFrom = Math.min(memTo, Math.max(unsynced.start(), first.logicalStart));
        ByteBuffer mem = unsynced.copy(memFrom, memTo);
        List<LogSegment> created = new ArrayList<>();
        List<Span> newSpans = new ArrayList<>();
        long id = nextSegmentId;
        long lsn = fromLsn;
        long oldLogicalEnd = logicalEnd;
        unsynced.reset(logicalEnd);
        try {
            LogSegment target = LogSegment.create(dir, id++, fromLsn, config.channelFactory());
            created.add(target);
            newSpans.add(new Span(target, SegmentHeader.SIZE, logicalEnd, fromLsn));
            for (Span s : pending) {
                LogSegment src = s.segment;
                long p = s.fileStart;
                long logical = s.logicalStart;
                long end = src.end();
                while (p < end) {
                    // Memory holds whole records from memFrom on (its end is always a record boundary).
                    ByteBuffer rec = logical >= memFrom && logical < memTo ? fromMemory(mem, (int) (logical - memFrom), lsn, src, p)
                            : reReadVerified(src, p, lsn, end);
                    int size = rec.remaining();
                    if (target.end() + size > config.segmentSizeBytes()) {
                        target.channel().force(false);
                        target = LogSegment.create(dir, id++, lsn, config.channelFactory());
                        created.add(target);
                        newSpans.add(new Span(target, SegmentHeader.SIZE, logicalEnd, lsn));
                    }
                    RewrittenRecords.resealOne(rec, target.id());
                    long at = target.end();
                    LogSegment.writeFully(target.channel(), rec.duplicate(), at);
                    target.maybeIndex(lsn, at);
                    target.advance(at + size, lsn);
                    if (size <= unsynced.capacity()) {
                        unsynced.put(rec);
                    } else {
                        unsynced.reset(logicalEnd + size);
                    }
                    logicalEnd += size;
                    p += size;
                    logical += size;
                    lsn++;
                }
            }
            if (lsn - 1 != lastLsn) {
                throw new WriteLogException("rewrite found the unsynced records only up to LSN " + (lsn - 1)
                        + ", but the last appended LSN is " + lastLsn);
            }
        } catch (IOException e) {
            for (LogSegment c : created) {
                c.closeQuietly();
                deleteQuietly(c.path());
            }
            unsynced.reset(memFrom);
            unsynced.put(mem.clear());
            logicalEnd = oldLogicalEnd;
            nextSegmentId = id;
            throw new WriteLogException("cannot continue write log " + dir + " in new segment " + LogSegment.fileName(nextSegmentId - 1)
                    + " (rewriting the unsynced records LSN " + fromLsn + ".." + lastLsn + ", stopped at LSN " + lsn + "): " + e, e);
        }
        nextSegmentId = id;
        // Only now that nothing can fail: retire the old segments and switch to the new ones.
        for (Span s : pending) {
            LogSegment seg = s.segment;
            if (seg.committed()) {
                seg.supersedeAfter(s.fileStart, s.firstLsn - 1);
            } else {
                seg.supersedeAfter(SegmentHeader.SIZE, seg.firstLsn() - 1);
                segments.remove(seg.id());
                try {
                    seg.releaseAndDelete();
                } catch (IOException ignored) {
                    // An uncommitted leftover is deleted by recovery; nothing depends on deleting it now.
                }
                bytesHeld.addAndGet(-seg.sizeOnDisk());
            }
        }
        pending.clear();
        for (int i = 0; i < created.size(); i++) {
            LogSegment c = created.get(i);
            segments.put(c.id(), c);
            bytesHeld.addAndGet(c.sizeOnDisk());
            if (i < created.size() - 1) {
                syncedLsn = Math.max(syncedLsn, c.lastLsn()); // forced above, before its successor was created
            }
        }
        pending.addLast(newSpans.get(newSpans.size() - 1));
        active = created.get(created.size() - 1);
        needsRoll = false;
    }

    /**
     * A copy of the record at {@code offset} of the in-memory copy of the unsynced bytes, verified like a re-read one
     * (LSN {@code lsn}, length, CRC32C for its segment), so that a bad memory copy is never sealed anew.
     */
    private static ByteBuffer fromMemory(ByteBuffer mem, int offset, long lsn, LogSegment src, long pos) throws WriteLogException {
        RecordFormat.Header h = RecordFormat.Header.parse(mem, offset);
        int size = RecordFormat.HEADER_SIZE + h.length();
        if (h.lsn() != lsn || h.length() < 0 || offset + (long) size > mem.limit()) {
            throw new WriteLogCorruptException(src.path(), pos, "the memory copy of unsynced record LSN " + lsn
                    + " holds LSN " + h.lsn() + " with length " + h.length());
        }
        ByteBuffer rec = ByteBuffer.allocate(size);
        rec.put(0, mem, offset, size);
        if (!h.verifies(rec.slice(RecordFormat.HEADER_SIZE, h.length()), src.id())) {
            throw new WriteLogCorruptException(src.path(), pos, "the memory copy of unsynced record LSN " + lsn + " failed its CRC32C");
        }
        return rec;
    }

    /** File bytes to copy into {@link #unsynced}: {@code length} bytes of {@code segment} at {@code position}. */
    private record Chunk(LogSegment segment, long position, long logical, int length) {
    }

    /**
     * Which unsynced bytes the next force covers and memory should hold: the newest {@code unsynced.capacity()} bytes
     * up to {@code end}, minus what memory already holds. Caller holds both locks (the spans are stable).
     */
    private List<Chunk> snapshotChunks(List<Span> round, long end) {
        long from = Math.max(unsynced.end(), end - unsynced.capacity());
        List<Chunk> out = new ArrayList<>();
        for (int i = 0; i < round.size(); i++) {
            Span s = round.get(i);
            long spanEnd = i + 1 < round.size() ? round.get(i + 1).logicalStart : end;
            long a = Math.max(from, s.logicalStart);
            if (a < spanEnd) {
                out.add(new Chunk(s.segment, s.fileStart + (a - s.logicalStart), a, (int) (spanEnd - a)));
            }
        }
        return out;
    }

    /**
     * Copies, just before a force, the newest unsynced records from the page cache into {@link #unsynced}, so that if
     * the force fails they can be rewritten from memory (the page cache may drop them after the error). Taking the
     * copy here rather than on every append keeps appends as cheap as a plain file write; a record older than this
     * copy is re-read and verified if it is ever needed (see {@link #rewriteUnsynced}). If the copy cannot be read,
     * memory simply holds less. Caller holds {@link #syncLock}.
     */
    private void snapshotForForce(List<Chunk> chunks) {
        for (Chunk c : chunks) {
            if (c.segment().released()) {
                unsynced.reset(c.logical() + c.length());
                continue;
            }
            if (c.logical() != unsynced.end()) {
                unsynced.reset(c.logical());
            }
            try {
                unsynced.putFrom(c.segment(), c.position(), c.length());
            } catch (IOException e) {
                if (!c.segment().released()) {
                    LOG.log(System.Logger.Level.WARNING, "could not copy unsynced records of " + c.segment().path()
                        + " into memory before forcing it (" + e + "); they would be re-read if the force fails");
                }
                unsynced.reset(c.logical() + c.length());
            }
        }
    }

    /**
     * Re-reads an unsynced record that is no longer in memory from its segment file (normally the page cache) and
     * verifies it: LSN {@code lsn}, a length inside the segment's written bytes, and its CRC32C for that segment.
     */
    private static ByteBuffer reReadVerified(LogSegment src, long pos, long lsn, long end) throws IOException {
        ByteBuffer hb = ByteBuffer.allocate(RecordFormat.HEADER_SIZE);
        src.readFully(hb, pos);
        RecordFormat.Header h = RecordFormat.Header.parse(hb, 0);
        if (h.lsn() != lsn || h.length() < 0 || pos + RecordFormat.HEADER_SIZE + (long) h.length() > end) {
            throw new WriteLogCorruptException(src.path(), pos, "unsynced record LSN " + lsn + " is no longer in memory"
                    + " and re-reading it found LSN " + h.lsn() + " with length " + h.length());
        }
        ByteBuffer rec = ByteBuffer.allocate(RecordFormat.HEADER_SIZE + h.length());
        src.readFully(rec, pos);
        rec.flip();
        if (!h.verifies(rec.slice(RecordFormat.HEADER_SIZE, h.length()), src.id())) {
            throw new WriteLogCorruptException(src.path(), pos, "unsynced record LSN " + lsn + " is no longer in memory"
                    + " and re-reading it failed its CRC32C");
        }
        return rec;
    }

    /** LSN of the last record appended (0 if none ever was). */
    public long lastLsn() {
        return lastLsn;
    }

    /** Every record up to this LSN is on stable storage. */
    public long syncedLsn() {
        return syncedLsn;
    }

    /**
     * Reads and verifies (LSN and CRC32C) the record with LSN {@code expectedLsn} at {@code pointer}.
     *
     * @throws WriteLogRecordMismatchException if no record with that LSN is there (or it was released)
     * @throws WriteLogCorruptException if the record fails its CRC32C
     */
    public WalRecord read(RecordPointer pointer, long expectedLsn) throws WriteLogException {
        Location at = resolve(pointer, expectedLsn);
        return readAt(at.segment(), at.position(), expectedLsn);
    }

    /**
     * Copies part of a record's payload into {@code dst}, to serve reads of data not yet shipped. Copies
     * {@code min(dst.remaining(), payloadLength - offsetInPayload)} bytes and advances {@code dst}.
     *
     * <p>What is verified: that a record with exactly {@code expectedLsn} starts at the pointer (its header's LSN) and
     * that {@code [offsetInPayload, +n)} lies inside its payload and inside the segment's valid bytes. When the read
     * covers the whole payload its CRC32C is verified too (on mismatch {@code dst} is left unchanged). A partial read
     * does not verify the CRC32C (that would need the whole payload): it can never return bytes of another record,
     * but it does not detect bit rot inside this one.
     *
     * @return the number of bytes copied
     * @throws IllegalArgumentException if {@code offsetInPayload} is outside {@code [0, payloadLength]}
     */
    public int readPayload(RecordPointer pointer, long expectedLsn, int offsetInPayload, ByteBuffer dst) throws WriteLogException {
        Location at = resolve(pointer, expectedLsn);
        LogSegment seg = at.segment();
        RecordFormat.Header h = readHeader(seg, at.position(), expectedLsn);
        if (offsetInPayload < 0 || offsetInPayload > h.length()) {
            throw new IllegalArgumentException("offsetInPayload " + offsetInPayload + " outside the payload of LSN "
                    + expectedLsn + " (length " + h.length() + ")");
        }
        int n = Math.min(dst.remaining(), h.length() - offsetInPayload);
        int start = dst.position();
        ByteBuffer window = dst.duplicate().limit(start + n);
        readFully(seg, window, at.position() + RecordFormat.HEADER_SIZE + offsetInPayload);
        if (n == h.length() && !h.verifies(dst.duplicate().position(start).limit(start + n), seg.id())) {
            throw new WriteLogCorruptException(seg.path(), at.position(), "CRC32C mismatch in record LSN " + expectedLsn);
        }
        dst.position(start + n);
        return n;
    }

    /**
     * A cursor over the records from {@code lsn} on, in LSN order.
     *
     * @throws WriteLogRecordMismatchException if {@code lsn} is no longer held (released and deleted)
     * @throws IllegalArgumentException if {@code lsn} is below 1 or above {@link #lastLsn()} + 1
     */
    public RecordCursor readFrom(long lsn) throws WriteLogException {
        if (lsn < 1 || lsn > lastLsn + 1) {
            throw new IllegalArgumentException("readFrom LSN " + lsn + " outside 1.." + (lastLsn + 1));
        }
        long oldest = segments.firstEntry().getValue().firstLsn();
        if (lsn < oldest) {
            throw new WriteLogRecordMismatchException("LSN " + lsn + " is no longer held by write log " + dir + " (oldest held is " + oldest + ")");
        }
        return new RecordCursor(this, lsn);
    }

    /**
     * Declares every record up to {@code lsn} safe elsewhere. Deletes every segment (except the active one) whose
     * records are all at or below {@code lsn}, and wakes appends waiting for space. Releasing less than before is a
     * no-op. The deletions are not forced: after a crash some released segments may be back (see the class comment:
     * the caller releases again after a restart).
     *
     * @throws IllegalArgumentException if {@code lsn} is above {@link #lastLsn()}
     * @throws WriteLogException if a segment file cannot be deleted (the log stays consistent; retry later)
     */
    public void release(long lsn) throws WriteLogException {
        if (lsn > lastLsn) {
            throw new IllegalArgumentException("cannot release LSN " + lsn + ": the last appended LSN is " + lastLsn);
        }
        synchronized (releaseMonitor) {
            releasedLsn = Math.max(releasedLsn, lsn);
            List<LogSegment> victims = new ArrayList<>();
            appendLock.lock();
            try {
                // Marked under the append lock, so that a rewrite (which holds it) never reads a segment being deleted.
                for (LogSegment seg : segments.values()) {
                    if (seg == active || seg.lastLsn() > lsn) {
                        break;
                    }
                    seg.markReleased();
                    segments.remove(seg.id());
                    victims.add(seg);
                }
            } finally {
                appendLock.unlock();
            }
            if (victims.isEmpty()) {
                return;
            }
            try {
                // No directory force: a deletion that is lost in a crash only brings back released records, which
                // the caller releases again (released LSNs are not persisted anyway). A released segment that was
                // never forced is deleted before any later segment is committed, and that commit forces the
                // directory (see dropReleasedSpans), so it cannot come back torn in front of a committed segment.
                for (LogSegment seg : victims) {
                    seg.releaseAndDelete();
                    bytesHeld.addAndGet(-seg.sizeOnDisk());
                }
            } catch (IOException e) {
                throw new WriteLogException("release of LSN " + lsn + " could not delete a segment in " + dir + ": " + e, e);
            } finally {
                signalSpaceFreed();
            }
        }
    }

    /** Bytes held by segment files (headers, records, and not yet deleted superseded tails). */
    public long bytesHeld() {
        return bytesHeld.get();
    }

    /**
     * Bytes of the records from {@code lsn} on (record headers included, segment headers not): with the first LSN not
     * yet safe elsewhere, what remains to be shipped. {@code 0} if {@code lsn} is above {@link #lastLsn()}; records
     * below the oldest one held are not counted. A snapshot for status figures: appends, rewrites and releases that
     * run meanwhile may make it a little off.
     *
     * @throws WriteLogException if the records cannot be located (the log was closed meanwhile)
     */
    public long bytesFrom(long lsn) throws WriteLogException {
        Map.Entry<Long, LogSegment> first = segments.firstEntry();
        if (first == null || lsn > lastLsn) {
            return 0;
        }
        Location at = locate(Math.max(lsn, first.getValue().firstLsn()));
        long bytes = at.segment().end() - at.position();
        for (LogSegment seg : segments.tailMap(at.segment().id(), false).values()) {
            bytes += seg.end() - SegmentHeader.SIZE;
        }
        return bytes;
    }

    /** The lowest LSN held and not released; {@link #lastLsn()} + 1 if there is none. */
    public long oldestUnreleasedLsn() {
        Map.Entry<Long, LogSegment> first = segments.firstEntry();
        long oldestHeld = first == null ? lastLsn + 1 : first.getValue().firstLsn();
        return Math.min(lastLsn + 1, Math.max(releasedLsn + 1, oldestHeld));
    }

    /** True once the log refuses writes after a failed force (see {@link WriteLogReadOnlyException}). */
    public boolean isReadOnly() {
        return readOnlyReason != null;
    }

    /**
     * Forces everything appended (unless read-only), stops the background thread and closes the files. Idempotent.
     * Calls racing with close may fail with {@link IllegalStateException}.
     *
     * @throws WriteLogException if the final force failed (files are closed anyway)
     */
    @Override
    public void close() throws WriteLogException {
        if (closed) {
            return;
        }
        try {
            if (!isReadOnly() && syncedLsn < lastLsn) {
                sync(lastLsn);
            }
        } finally {
            closed = true;
            syncer.stop();
            syncLock.lock();
            appendLock.lock();
            try {
                segments.values().forEach(LogSegment::closeQuietly);
            } finally {
                appendLock.unlock();
                syncLock.unlock();
            }
            closeQuietly(lockChannel);
        }
    }

    /**
     * Simulates the process dying: stops the background thread and closes every file without forcing anything, so
     * a test can reopen the directory in the same JVM. Package-private; only tests call it.
     */
    void abandon() {
        closed = true;
        syncer.stop();
        segments.values().forEach(LogSegment::closeQuietly);
        closeQuietly(lockChannel);
    }

    /**
     * The unsynced part of one segment: file bytes {@code [fileStart, segment.end())}, holding the records from LSN
     * {@code firstLsn} on, which have logical offsets (see {@link UnsyncedBuffer}) from {@code logicalStart} on.
     * Guarded by {@link #appendLock}.
     */
    private static final class Span {
        final LogSegment segment;
        long fileStart;
        long logicalStart;
        long firstLsn;

        Span(LogSegment segment, long fileStart, long logicalStart, long firstLsn) {
            this.segment = segment;
            this.fileStart = fileStart;
            this.logicalStart = logicalStart;
            this.firstLsn = firstLsn;
        }
    }

    // ---- reading internals ----

    /** A record position. */
    record Location(LogSegment segment, long position) {
    }

    private Location resolve(RecordPointer pointer, long lsn) throws WriteLogException {
        checkOpen();
        LogSegment seg = segments.get(pointer.segmentId());
        if (seg != null && seg.holds(lsn)) {
            return new Location(seg, pointer.position());
        }
        // The pointer's segment does not hold that LSN: the record was rewritten elsewhere after a failed force or
        // write, or the pointer is wrong. Look the LSN up; the header check below still guards the result.
        return locate(lsn);
    }

    /** Finds the record with {@code lsn} by its segment's sparse index and a short scan of headers. */
    Location locate(long lsn) throws WriteLogException {
        for (LogSegment seg : segments.descendingMap().values()) {
            if (!seg.holds(lsn)) {
                continue;
            }
            long pos = seg.seekHint(lsn);
            ByteBuffer hb = ByteBuffer.allocate(RecordFormat.HEADER_SIZE);
            long expect = -1;
            while (pos + RecordFormat.HEADER_SIZE <= seg.end()) {
                hb.clear();
                readFully(seg, hb, pos);
                RecordFormat.Header h = RecordFormat.Header.parse(hb, 0);
                if (h.lsn() == lsn) {
                    return new Location(seg, pos);
                }
                if (h.lsn() > lsn || (expect >= 0 && h.lsn() != expect) || h.length() < 0) {
                    break;
                }
                expect = h.lsn() + 1;
                pos += RecordFormat.HEADER_SIZE + h.length();
            }
            throw new WriteLogCorruptException(seg.path(), pos, "record LSN " + lsn + " not found where the segment's LSN range says it is");
        }
        throw new WriteLogRecordMismatchException("write log " + dir + " holds no record LSN " + lsn + " (held: "
                + oldestUnreleasedLsn() + ".." + lastLsn + ", released up to " + releasedLsn + ")");
    }

    /** Reads the whole record at a position, verifying its LSN and CRC32C. */
    WalRecord readAt(LogSegment seg, long pos, long lsn) throws WriteLogException {
        RecordFormat.Header h = readHeader(seg, pos, lsn);
        ByteBuffer payload = ByteBuffer.allocate(h.length());
        readFully(seg, payload, pos + RecordFormat.HEADER_SIZE);
        payload.flip();
        if (!h.verifies(payload, seg.id())) {
            throw new WriteLogCorruptException(seg.path(), pos, "CRC32C mismatch in record LSN " + lsn);
        }
        return new WalRecord(lsn, h.type(), payload.asReadOnlyBuffer(), new RecordPointer(seg.id(), pos));
    }

    private RecordFormat.Header readHeader(LogSegment seg, long pos, long lsn) throws WriteLogException {
        if (pos < SegmentHeader.SIZE || pos + RecordFormat.HEADER_SIZE > seg.end()) {
            throw new WriteLogRecordMismatchException("no record LSN " + lsn + " at byte " + pos + " of " + seg);
        }
        ByteBuffer hb = ByteBuffer.allocate(RecordFormat.HEADER_SIZE);
        readFully(seg, hb, pos);
        RecordFormat.Header h = RecordFormat.Header.parse(hb, 0);
        if (h.lsn() != lsn) {
            throw new WriteLogRecordMismatchException("byte " + pos + " of " + seg.path() + " holds LSN " + h.lsn()
                    + ", not the expected LSN " + lsn);
        }
        if (h.length() < 0 || pos + RecordFormat.HEADER_SIZE + h.length() > seg.end()) {
            throw new WriteLogCorruptException(seg.path(), pos, "record LSN " + lsn + " claims " + h.length()
                    + " payload bytes, beyond the segment's valid end " + seg.end());
        }
        return h;
    }

    private void readFully(LogSegment seg, ByteBuffer dst, long pos) throws WriteLogException {
        try {
            seg.readFully(dst, pos);
        } catch (ClosedChannelException e) {
            throw new WriteLogRecordMismatchException("segment " + seg.path() + " was released or the log closed while reading byte " + pos);
        } catch (WriteLogException e) {
            throw e;
        } catch (IOException e) {
            throw new WriteLogException("reading " + seg.path() + " at byte " + pos + " failed: " + e, e);
        }
    }

    // ---- small helpers ----

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("write log " + dir + " is closed");
        }
    }

    private void checkWritable() throws WriteLogException {
        checkOpen();
        if (readOnlyReason != null) {
            throw new WriteLogReadOnlyException(readOnlyReason, readOnlyCause);
        }
    }

    private void signalSpaceFreed() {
        appendLock.lock();
        try {
            spaceFreed.signalAll();
        } finally {
            appendLock.unlock();
        }
    }

    /** Forces everything appended if there is anything unsynced; used by the background thread. */
    void forceAllQuietly() {
        try {
            if (!closed && !isReadOnly() && syncedLsn < lastLsn) {
                sync(lastLsn);
            }
        } catch (WriteLogException | IllegalStateException e) {
            LOG.log(System.Logger.Level.WARNING, "background force of write log " + dir + " failed: " + e);
        }
    }

    private static void restoreInterrupt(boolean interrupted) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // A leftover segment with no valid records is superseded at recovery; nothing depends on deleting it.
        }
    }

    private static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // Closing the lock file only releases the directory lock.
            }
        }
    }
}
