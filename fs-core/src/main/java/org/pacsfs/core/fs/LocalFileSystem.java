package org.pacsfs.core.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.UUID;
import org.pacsfs.cache.CacheStats;
import org.pacsfs.cache.ChunkCache;
import org.pacsfs.cache.TieredChunkCache;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.LogBase;
import org.pacsfs.core.bucket.LogBases;
import org.pacsfs.core.bucket.ChunkCodec;
import org.pacsfs.core.bucket.FsSettings;
import org.pacsfs.core.bucket.Superblock;
import org.pacsfs.core.bucket.SuperblockException;
import org.pacsfs.core.lease.Lease;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.RetryingObjectStore;
import org.pacsfs.wal.AppendResult;
import org.pacsfs.wal.RecordCursor;
import org.pacsfs.wal.WalRecord;
import org.pacsfs.wal.WriteLog;
import org.pacsfs.wal.WriteLogException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The filesystem on local disk: every change is one write-log record, then applied to the {@link LocalIndex}; file
 * data is served from the write-log records it was written in. Semantics: {@link FileSystem} and docs/SEMANTICS.md.
 *
 * <h2>Recovery</h2>
 * The index is trusted only if the clean marker says it reflects exactly the log's last LSN (written at
 * {@link #close()}); otherwise it is deleted and rebuilt by replaying the whole write-log through the same apply
 * code the live path uses. The marker is removed before the first change after opening. After replay, files left
 * with no name (unlinked while open when the process stopped) are deleted.
 *
 * <h2>Concurrency</h2>
 * Per-inode striped locks ({@link LockTable}); an operation locks every inode whose state it changes, appends its
 * record and applies it before unlocking, so for every key the apply order equals the log order. Directory renames
 * additionally take one rename lock (as Linux does) so that the "not into itself" check holds. Reads of a file take
 * its lock shared; no lock is global on the read/write path.
 */
public final class LocalFileSystem implements FileSystem {
    private static final Logger LOG = LoggerFactory.getLogger(LocalFileSystem.class);
    static final long ROOT = 1;
    private static final int MAX_LINKS = 65000;
    private static final int MAX_SYMLINK = 4095;
    /** Writes are logged in records of at most this many bytes (FUSE sends at most 128 KiB anyway). */
    private static final int MAX_WRITE_RECORD = 1 << 20;

    private final FsConfig config;
    private final WriteLog wal;
    private final LocalIndex index;
    private final Path indexDir;
    private final LockTable locks = new LockTable();
    /** Closed briefly by the checkpointer so that its copy of the changed keys is the state as of one LSN. */
    final Gate gate = new Gate();
    private final ReentrantLock renameLock = new ReentrantLock();
    private final PathCache paths;
    private final Handles handles = new Handles();
    private final AtomicLong nextIno;
    private final AtomicBoolean capacityWarned = new AtomicBoolean();
    private volatile RecoveryInfo recovery;
    private volatile ChunkSource chunkSource = ChunkSource.NONE;
    private volatile ChunkCache cache;
    private volatile ReadAhead readAhead;
    private volatile Remote remote;
    private volatile Flusher flusher;
    private volatile Lease lease;
    private volatile String failure;
    /** Set when the lease is lost: changes are refused with EROFS, reads go on. */
    private volatile String readOnly;
    private volatile boolean closed;
    /** WORM rules from the bucket's {@link FsSettings} (off without a bucket or settings). */
    private volatile Worm worm = Worm.OFF;

    /** What {@link #open} found and did. */
    /**
     * @param indexTrusted     the local index was used as it was (clean shutdown at the bucket's checkpointed head)
     * @param recordsReplayed  local write-log records applied
     * @param orphansDeleted   files that had no name left (unlinked while open) and were deleted
     * @param checkpointSeq    the bucket checkpoint the index was rebuilt from (0: none)
     * @param segmentsReplayed bucket log segments applied after it
     */
    public record RecoveryInfo(boolean indexTrusted, long recordsReplayed, int orphansDeleted, long checkpointSeq,
                               long segmentsReplayed, long millis) {
    }

    private LocalFileSystem(FsConfig config, WriteLog wal, LocalIndex index, Path indexDir) {
        this.config = config;
        this.wal = wal;
        this.index = index;
        this.indexDir = indexDir;
        this.paths = new PathCache(config.pathCacheEntries());
        this.nextIno = new AtomicLong(Math.max(index.maxIno.get(), ROOT) + 1);
    }

    /**
     * Opens (creating if needed) a filesystem that lives only on local disk (no bucket): the state in
     * {@link FsConfig#stateDirectory()}, recovered from an unclean stop as described above.
     *
     * @throws FsException.Io if the write-log or the index cannot be opened or the log cannot be replayed
     */
    public static LocalFileSystem open(FsConfig config) throws FsException {
        return open(config, null);
    }

    /**
     * Opens (creating if needed) the filesystem in the bucket described by {@code remote} (null: local only), with
     * its local state in {@link FsConfig#stateDirectory()}: reads (or creates) the superblock, takes the
     * single-writer lease, trusts the local index only after a clean shutdown at the bucket's current log head,
     * otherwise rebuilds it from the bucket's metadata log and then the local write-log records not yet shipped,
     * and starts shipping.
     *
     * @throws FsException.Io naming what failed: bucket unreachable, lease held by another host, a log that does
     *                        not verify, a state directory of another filesystem, local I/O
     */
    public static LocalFileSystem open(FsConfig config, Remote remote) throws FsException {
        return open(config, remote, false);
    }

    /**
     * Opens the filesystem in the bucket read-only, as of now: no lease (it may run anywhere, also while a writer is
     * mounted), no shipping, the newest checkpoint and later log segments loaded into a fresh index in
     * {@link FsConfig#stateDirectory()} (which should be empty; the caller owns and deletes it). Changes fail with
     * EROFS. For {@code pacsfs mount --read-only}, {@code pacsfs ls} and {@code pacsfs cat}.
     *
     * @throws FsException.Io if the bucket holds no pacsfs filesystem or its log cannot be read
     */
    public static LocalFileSystem openReadOnly(FsConfig config, Remote remote) throws FsException {
        return open(config, java.util.Objects.requireNonNull(remote, "remote"), true, null);
    }

    /**
     * As {@link #openReadOnly(FsConfig, Remote)}, showing the filesystem as of {@code at} (the history's definition,
     * {@link FileHistory}: after the longest run of log segments from the first whose times are at or before
     * {@code at}). Replays the log from segment 1 (or from the log base's checkpoint after gc pruned the log; a time
     * before the base's is refused): a later checkpoint is a state, not a history, and may be later than {@code at}. For {@code pacsfs mount --read-only --at TIME}.
     */
    public static LocalFileSystem openReadOnlyAt(FsConfig config, Remote remote, java.time.Instant at) throws FsException {
        return open(config, java.util.Objects.requireNonNull(remote, "remote"), true, java.util.Objects.requireNonNull(at, "at"));
    }

    private static LocalFileSystem open(FsConfig config, Remote remote, boolean readOnlyView) throws FsException {
        return open(config, remote, readOnlyView, null);
    }

    private static LocalFileSystem open(FsConfig config, Remote remote, boolean readOnlyView, java.time.Instant at) throws FsException {
        long start = System.nanoTime();
        Path indexDir = config.stateDirectory().resolve("index");
        WriteLog wal = null;
        LocalIndex index = null;
        Lease lease = null;
        ChunkCache cache = null;
        try {
            BucketKeys keys = null;
            UUID fsId = null;
            StateIdentity identity = null;
            ObjectStore mountStore = null;
            FsSettings settings = FsSettings.DEFAULTS;
            if (remote != null) {
                // Mount-time reads ride out a brief S3 hiccup, but a mount does not hang forever.
                mountStore = new RetryingObjectStore(remote.store(), java.time.Duration.ofMinutes(2), remote.ship().maxBackoff());
                keys = BucketKeys.under(remote.prefix());
                if (readOnlyView) {
                    fsId = Superblock.read(mountStore, keys).orElseThrow(() -> new IllegalStateException(
                            "the bucket holds no pacsfs filesystem (no superblock)")).fsId();
                } else {
                    fsId = Superblock.createOrRead(mountStore, keys, java.time.Clock.systemUTC()).fsId();
                }
                // A writer stores the defaults in a new filesystem (pacsfs mount has stored the chosen ones before), and
                // refuses one whose settings were lost; a read-only view only reads them (WORM does not matter to it).
                settings = readOnlyView ? FsSettings.read(mountStore, keys).orElse(FsSettings.DEFAULTS)
                        : FsSettings.establish(mountStore, keys, FsSettings.DEFAULTS, false);
                identity = StateIdentity.loadOrCreate(config.stateDirectory(), fsId);
                if (!readOnlyView) {
                    lease = Lease.acquire(remote.store(), keys.lease(), remote.lease(), remote.takeOver(),
                            java.time.Clock.systemUTC(), null, identity.walId());
                }
            }
            wal = WriteLog.open(config.walConfig());
            Files.createDirectories(indexDir);
            Optional<CleanMarker> marker = CleanMarker.read(indexDir);
            boolean trusted = marker.isPresent() && marker.get().appliedLsn() == wal.lastLsn();
            BucketLog.Head head = null;
            Checkpointer checkpointer = null;
            Optional<LogBase> logBase = Optional.empty();
            if (remote != null) {
                logBase = LogBases.newest(mountStore, keys, fsId);
                checkpointer = new Checkpointer(mountStore, keys, fsId, remote.ship().maxIncrementals(), List.of(), 0)
                        .floor(logBase.map(LogBase::checkpointSeq).orElse(0L));
                Optional<Checkpointer.Loaded> newest = checkpointer.loadNewest(null);
                long logHead = BucketLog.last(BucketLog.segmentSeqs(mountStore, keys, logBase.map(LogBase::seq).orElse(1L)));
                // Trust the local index only if it was closed at the bucket's current head with a checkpoint there:
                // then it equals the bucket's state and the next incremental checkpoint knows every change.
                trusted = trusted && newest.isPresent() && newest.get().manifest().seq() == logHead
                        && marker.get().headSeq() == logHead && marker.get().checkpointSeq() == logHead;
                if (trusted) {
                    head = new BucketLog.Head(logHead, newest.get().manifest().logSha256(), newest.get().manifest().writers());
                }
            } else {
                trusted = trusted && marker.get().headSeq() == 0;
            }
            long replayed = 0;
            long loadedCheckpoint = 0;
            long segmentsReplayed = 0;
            if (trusted) {
                index = LocalIndex.open(indexDir, config.indexSizing(), marker.get());
                if (remote != null) {
                    index.trackChanges(); // closed at a checkpointed head: nothing changed since that checkpoint
                }
            } else {
                index = LocalIndex.createEmpty(indexDir, config.indexSizing());
                if (remote != null) {
                    BucketLog.Head from = null;
                    try {
                        Optional<Checkpointer.Loaded> loaded = at != null ? Optional.empty() : checkpointer.loadNewest(index);
                        if (loaded.isPresent()) {
                            CheckpointFormat.Manifest m = loaded.get().manifest();
                            from = new BucketLog.Head(m.seq(), m.logSha256(), m.writers());
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("mount: the newest checkpoint cannot be loaded ({}); rebuilding from the {}, and the next "
                                + "checkpoint will be a full one", e.getMessage(), logBase.isPresent() ? "log base" : "whole log");
                        index.closeQuietly();
                        index = LocalIndex.createEmpty(indexDir, config.indexSizing());
                        checkpointer = new Checkpointer(mountStore, keys, fsId, remote.ship().maxIncrementals(), List.of(), 0)
                                .floor(logBase.map(LogBase::checkpointSeq).orElse(0L));
                    }
                    if (from == null) {
                        // No checkpoint (or a point-in-time view): the log from its start, i.e. from the log base's
                        // checkpoint when gc pruned the log. That is a full state too: the next checkpoint is a full one.
                        from = BucketLog.start(mountStore, keys, fsId, index).head();
                        refuseBeforeBase(logBase, at);
                    }
                    // What the checkpoint holds is not a change; what the later log and the local records apply is.
                    index.trackChanges();
                    head = at == null ? BucketLog.replay(mountStore, keys, fsId, index, from)
                            : BucketLog.replay(mountStore, keys, fsId, index, from, Long.MAX_VALUE, seg -> FileHistory.segmentTime(seg).isAfter(at));
                    loadedCheckpoint = from.seq();
                    segmentsReplayed = head.seq() - from.seq();
                }
                replayed = replay(wal, index, head == null ? 1 : head.shippedLsn(identity.walId()) + 1);
            }
            if (head != null && head.shippedLsn(identity.walId()) > wal.lastLsn()) {
                // The flusher forces records before shipping them, so only a disk that lost forced writes (a volatile
                // cache that ignores flushes) or an older copy of the state directory gets here. Every local record is
                // in the bucket then; new records would reuse LSNs the bucket already names.
                throw new IllegalStateException("the bucket holds this machine's write-log up to LSN " + head.shippedLsn(identity.walId())
                        + ", but the local write-log in " + config.walConfig().directory() + " ends at LSN " + wal.lastLsn()
                        + ": the local disk lost writes it had reported durable, or the state directory is an older copy. Nothing "
                        + "of it is missing from the bucket: move the state directory aside and mount with an empty one");
            }
            if (head != null && head.foreignAfter(identity.walId()) && wal.lastLsn() > head.shippedLsn(identity.walId())) {
                throw new IllegalStateException("another writer committed to the bucket after this machine's last shipment, while "
                        + (wal.lastLsn() - head.shippedLsn(identity.walId())) + " local changes were not shipped: the lease was taken over. "
                        + "Move the state directory aside (it keeps those changes) and mount with an empty one");
            }
            CleanMarker.remove(indexDir);
            LocalFileSystem fs = new LocalFileSystem(config, wal, index, indexDir);
            fs.worm = new Worm(settings);
            if (readOnlyView) {
                // Viewers read whole studies: the memory tier and read-ahead as for a writer; the disk tier is the
                // caller's choice (its directory is under the view's temporary state directory unless configured).
                cache = TieredChunkCache.open(config.cache(), config.cacheDirectory());
                ChunkReader reader = fs.attachReader(remote, keys, cache);
                if (at != null) {
                    reader.viewOfThePast(at);
                }
                fs.remote = remote;
                fs.ensureRoot(); // a bucket whose writer has not shipped its first segment yet: an empty root
                fs.readOnly = at == null ? "read-only mount: the filesystem as of its mount time"
                        : "read-only view of the filesystem as of " + at;
                fs.recovery = new RecoveryInfo(false, 0, 0, loadedCheckpoint, segmentsReplayed, (System.nanoTime() - start) / 1_000_000);
                return fs;
            }
            if (remote != null) {
                cache = TieredChunkCache.open(config.cache(), config.cacheDirectory());
                fs.attachRemote(remote, keys, fsId, identity.walId(), head, lease, checkpointer, cache);
            }
            fs.ensureRoot();
            int orphans = fs.deleteOrphans();
            RecoveryInfo info = new RecoveryInfo(trusted, replayed, orphans, loadedCheckpoint, segmentsReplayed,
                    (System.nanoTime() - start) / 1_000_000);
            LOG.info("filesystem in {} opened{}: index {}, {} records replayed, {} orphans deleted, {} ms",
                    config.stateDirectory(), remote == null ? "" : " on " + remote.store().location(),
                    trusted ? "trusted (clean shutdown)" : "rebuilt", replayed, orphans, info.millis());
            fs.recovery = info;
            if (fs.flusher != null) {
                fs.flusher.start();
            }
            return fs;
        } catch (IOException | RuntimeException | SuperblockException e) {
            if (index != null) {
                index.closeQuietly();
            }
            closeQuietly(wal);
            if (lease != null) {
                lease.close();
            }
            if (cache != null) {
                cache.close();
            }
            if (e instanceof WriteLogException w && w.getMessage() != null && w.getMessage().contains("already open")) {
                throw new FsException.Io(w.getMessage(), w);
            }
            throw new FsException.Io("cannot open the filesystem (state in " + config.stateDirectory()
                    + (remote == null ? "" : ", bucket " + remote.store().location()) + "): " + e.getMessage(), e);
        }
    }

    /** A view as of a time before the log base cannot be built: gc pruned the history before the base's time. */
    private static void refuseBeforeBase(Optional<LogBase> base, java.time.Instant at) {
        if (at != null && base.isPresent() && at.isBefore(base.get().time())) {
            throw new IllegalStateException("the history before " + base.get().time() + " was pruned by pacsfs gc (the log "
                    + "begins at segment " + base.get().seq() + "): no view as of " + at + " can be built; the earliest time is "
                    + base.get().time());
        }
    }

    /** The read path from the bucket: tiered chunk cache, pinned read-ahead chunks, sequential read detection. */
    private ChunkReader attachReader(Remote remote, BucketKeys keys, ChunkCache cache) {
        PinnedChunks pins = new PinnedChunks(config.cache().readAheadMaxBytesTotal());
        ChunkReader reader = new ChunkReader(remote.store(), keys, new ChunkCodec(), index, cache, pins);
        this.chunkSource = reader;
        this.cache = cache;
        this.readAhead = new ReadAhead(index, reader, pins, config.cache().readAheadMaxBytesPerFile());
        return reader;
    }

    private void attachRemote(Remote remote, BucketKeys keys, UUID fsId, UUID walId, BucketLog.Head head, Lease lease,
                              Checkpointer checkpointer, ChunkCache cache) throws WriteLogException {
        ChunkCodec codec = new ChunkCodec();
        ChunkReader reader = attachReader(remote, keys, cache);
        this.remote = remote;
        this.lease = lease;
        if (head.shippedLsn(walId) > 0) {
            wal.release(head.shippedLsn(walId));
        }
        this.flusher = new Flusher(this, wal, index, remote.store(), keys, codec, reader, remote.ship(), fsId, walId, head, checkpointer);
        lease.addLostListener(e -> {
            readOnly = "the single-writer lease was taken over by another host (" + e.getMessage() + "); this mount is read-only. "
                    + "Unshipped changes stay in the local write-log";
            LOG.error(readOnly);
        });
    }

    /**
     * A read-only view over an index and a write-log that are not a mounted filesystem (for {@link LostAndFound}):
     * reads only; nothing is logged, and closing it is the caller's business.
     */
    static LocalFileSystem view(FsConfig config, WriteLog wal, LocalIndex index, ChunkSource chunks) {
        LocalFileSystem fs = new LocalFileSystem(config, wal, index, config.stateDirectory().resolve("index"));
        fs.chunkSource = chunks;
        fs.readOnly = "this is a read-only view of another machine's unshipped changes";
        return fs;
    }

    /** Replays write-log records from {@code from} into {@code index}; returns the inodes they touched. */
    static java.util.Set<Long> replayCollecting(WriteLog wal, LocalIndex index, long from, List<String> removedNames) throws WriteLogException {
        java.util.Set<Long> touched = new java.util.LinkedHashSet<>();
        if (wal.lastLsn() < from) {
            return touched;
        }
        try (RecordCursor cursor = wal.readFrom(from)) {
            while (cursor.next()) {
                WalRecord r = cursor.record();
                if (r.type() == FsRecord.TYPE_MUTATIONS) {
                    List<Mutation> ms = FsRecord.readMutations(r.payload());
                    for (Mutation m : ms) {
                        if (m instanceof Mutation.PutInode p) {
                            touched.add(p.inode().ino());
                        } else if (m instanceof Mutation.PutDentry d) {
                            touched.add(d.child());
                        } else if (m instanceof Mutation.DeleteDentry d) {
                            removedNames.add("inode " + d.parent() + " / " + d.name());
                        }
                    }
                    index.apply(ms, r.lsn());
                } else {
                    FsRecord.Write w = FsRecord.readWrite(r.payload());
                    touched.add(w.inode().ino());
                    index.applyWrite(w, r.pointer().segmentId(), r.pointer().position(), r.lsn());
                }
            }
        }
        return touched;
    }

    /** Refuses further changes (EIO) after the local state stopped matching the log or the bucket. */
    void failLocally(String reason) {
        failure = reason + "; unmount and mount again to rebuild the index";
        LOG.error(failure);
    }

    /** Why changes are refused (lease lost), or null. */
    String readOnlyReason() {
        return readOnly;
    }

    /** The settings the filesystem was created with (WORM, retention); {@link FsSettings#DEFAULTS} without a bucket. */
    public FsSettings settings() {
        return worm.settings();
    }

    /** EPERM if {@code in} is a write-once file now (WORM); the caller holds its lock. */
    private void requireChangeable(Inode in, String what, String operation) throws FsException.Denied {
        Worm w = worm;
        if (w.settings().worm()) {
            w.check(in, handles.isOpenForWriting(in.ino()), now(), what, operation);
        }
    }

    /** What the last open found: whether the index was trusted, how much was replayed. */
    public RecoveryInfo recoveryInfo() {
        return recovery;
    }

    /** See {@link LocalIndex#applyRewrite}; under the inode's lock. */
    void applyRewrite(long ino, long offset, int length, long idHi, long idLo, int chunkOffset, java.util.Set<List<Long>> fromChunks) {
        try (LockTable.Held l = locks.write(ino)) {
            index.applyRewrite(ino, offset, length, idHi, idLo, chunkOffset, fromChunks);
        }
    }

    /** How many distinct chunks the file at {@code path} is stored in (tests and status). */
    public int chunkCount(String path) throws FsException {
        long ino = resolveInode(path).ino();
        try (LockTable.Held l = locks.read(ino)) {
            return index.chunksOf(ino).size();
        }
    }

    /** See {@link LocalIndex#chunkTail}; under the inode's lock. */
    List<long[]> chunkTail(long ino, long end, int limit) {
        try (LockTable.Held l = locks.read(ino)) {
            return index.chunkTail(ino, end, limit);
        }
    }

    /** Points extents of a shipped write at its chunk (see {@link LocalIndex#repoint}). */
    void repoint(long ino, long fileOffset, int length, long lsn, int dataOffset, long idHi, long idLo, int chunkOffset) {
        try (LockTable.Held l = locks.write(ino)) {
            index.repoint(ino, fileOffset, length, lsn, dataOffset, idHi, idLo, chunkOffset);
        }
    }

    private static long replay(WriteLog wal, LocalIndex index, long from) throws WriteLogException {
        if (wal.lastLsn() < from) {
            return 0;
        }
        long n = 0;
        try (RecordCursor cursor = wal.readFrom(from)) {
            while (cursor.next()) {
                WalRecord r = cursor.record();
                ByteBuffer payload = r.payload();
                if (r.type() == FsRecord.TYPE_MUTATIONS) {
                    index.apply(FsRecord.readMutations(payload), r.lsn());
                } else if (r.type() == FsRecord.TYPE_WRITE) {
                    index.applyWrite(FsRecord.readWrite(payload), r.pointer().segmentId(), r.pointer().position(), r.lsn());
                } else {
                    throw new IllegalStateException("write-log record LSN " + r.lsn() + " has unknown type " + r.type());
                }
                n++;
            }
        }
        return n;
    }

    private void ensureRoot() throws FsException {
        if (index.inode(ROOT) == null) {
            long now = now();
            Inode root = new Inode(ROOT, 1, FileType.DIRECTORY, config.rootMode(), 2, config.rootUid(), config.rootGid(),
                    0, now, now, now, 0, new byte[0]);
            commit(Caller.ROOT, List.of(new Mutation.PutInode(root)));
        }
    }

    private int deleteOrphans() throws FsException {
        int n = 0;
        for (long ino : index.orphans()) {
            commit(Caller.UNKNOWN, List.of(new Mutation.DeleteInode(ino)));
            n++;
        }
        return n;
    }

    // ------------------------------------------------------------------ resolution

    private void ensureOpen() throws FsException {
        if (closed) {
            throw new FsException.Io("the filesystem is closed", null);
        }
    }

    private PathCache.Child resolve(FsPath path) throws FsException {
        ensureOpen();
        if (path.isRoot()) {
            return new PathCache.Child(ROOT, FileType.DIRECTORY);
        }
        PathCache.Child hit = paths.get(path.text());
        if (hit != null) {
            return hit;
        }
        long version = paths.version();
        PathCache.Child cur = new PathCache.Child(ROOT, FileType.DIRECTORY);
        for (String name : path.names()) {
            if (cur.type() != FileType.DIRECTORY) {
                throw FsException.invalid(Errno.ENOTDIR, "a component of " + path.text() + " is not a directory");
            }
            cur = index.lookup(cur.ino(), name);
            if (cur == null) {
                throw new FsException.NotFound(path.text() + ": no such file or directory");
            }
        }
        paths.putIfUnchanged(path.text(), cur, version);
        return cur;
    }

    private Inode inode(long ino, String what) throws FsException {
        Inode in = index.inode(ino);
        if (in == null) {
            throw new FsException.NotFound(what + ": no such file or directory");
        }
        return in;
    }

    private Inode resolveInode(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        return inode(resolve(p).ino(), p.text());
    }

    /** The directory that will hold the last component of {@code p}. */
    private long parentDir(FsPath p) throws FsException {
        if (p.isRoot()) {
            throw FsException.invalid(Errno.EINVAL, "the root directory has no name to create or remove");
        }
        PathCache.Child parent = resolve(p.parent());
        if (parent.type() != FileType.DIRECTORY) {
            throw FsException.invalid(Errno.ENOTDIR, p.parent().text() + " is not a directory");
        }
        return parent.ino();
    }

    /** The parent inode, checked to still exist as a directory (it may have been removed since resolution). */
    private Inode liveDir(long ino, FsPath p) throws FsException {
        Inode dir = index.inode(ino);
        if (dir == null || dir.nlink() == 0) {
            throw new FsException.NotFound(p.parent().text() + ": directory was removed");
        }
        return dir;
    }

    // ------------------------------------------------------------------ attributes

    @Override
    public Attributes getattr(String path) throws FsException {
        return resolveInode(path).attributes();
    }

    @Override
    public Attributes getattr(long fh) throws FsException {
        ensureOpen();
        return inode(handles.file(fh).ino(), "handle " + fh).attributes();
    }

    @Override
    public void access(String path, int mask, Caller caller) throws FsException {
        Inode in = resolveInode(path);
        if (!Permissions.allows(in, mask, caller)) {
            throw new FsException.Denied(Errno.EACCES, path + ": access " + mask + " denied for uid " + caller.uid());
        }
    }

    @Override
    public void chmod(String path, int mode, Caller caller) throws FsException {
        update(path, "chmod", caller, (in, now) -> in.withPerm(mode & 07777, now));
    }

    @Override
    public void chown(String path, int uid, int gid, Caller caller) throws FsException {
        update(path, "chown", caller, (in, now) -> in.withOwner(uid == -1 ? in.uid() : uid, gid == -1 ? in.gid() : gid, now));
    }

    @Override
    public void utimens(String path, long atimeNs, long mtimeNs, Caller caller) throws FsException {
        update(path, "setting times", caller, (in, now) -> in.withTimes(time(atimeNs, in.atime(), now), time(mtimeNs, in.mtime(), now), now));
    }

    private static long time(long requested, long current, long now) {
        if (requested == OpenFlags.UTIME_OMIT) {
            return current;
        }
        return requested == OpenFlags.UTIME_NOW ? now : requested;
    }

    private interface InodeChange {
        Inode apply(Inode in, long now) throws FsException;
    }

    private void update(String path, String operation, Caller caller, InodeChange change) throws FsException {
        FsPath p = FsPath.parse(path);
        long ino = resolve(p).ino();
        try (LockTable.Held l = locks.write(ino)) {
            Inode in = inode(ino, p.text());
            requireChangeable(in, p.text(), operation);
            commit(caller, List.of(new Mutation.PutInode(change.apply(in, now()))));
        }
    }

    // ------------------------------------------------------------------ creating names

    @Override
    public Attributes mkdir(String path, int mode, Caller caller) throws FsException {
        FsPath p = FsPath.parse(path);
        long parent = parentDir(p);
        try (LockTable.Held l = locks.write(parent)) {
            Inode dir = liveDir(parent, p);
            requireAbsent(parent, p);
            long now = now();
            int perm = (mode & 07777) | (dir.perm() & 02000);
            Inode child = newInode(FileType.DIRECTORY, perm, 2, caller, dir, now, new byte[0]);
            commit(caller, List.of(new Mutation.PutInode(child), new Mutation.PutDentry(parent, p.name(), child.ino(), FileType.DIRECTORY),
                    new Mutation.PutInode(dir.withNlink(dir.nlink() + 1, now).touched(now))));
            return index.inode(child.ino()).attributes();
        }
    }

    @Override
    public long create(String path, int mode, int flags, Caller caller) throws FsException {
        FsPath p = FsPath.parse(path);
        while (true) {
            long parent = parentDir(p);
            try (LockTable.Held l = locks.write(parent)) {
                Inode dir = liveDir(parent, p);
                PathCache.Child existing = index.lookup(parent, p.name());
                if (existing == null) {
                    long now = now();
                    Inode child = newInode(FileType.REGULAR, mode & 07777, 1, caller, dir, now, new byte[0]);
                    commit(caller, List.of(new Mutation.PutInode(child), new Mutation.PutDentry(parent, p.name(), child.ino(), FileType.REGULAR),
                            new Mutation.PutInode(dir.touched(now))));
                    // No lock on the child: nobody else can reach it before we release the parent's lock.
                    return handles.open(child.ino(), flags);
                }
                if ((flags & OpenFlags.O_EXCL) != 0) {
                    throw new FsException.Exists(p.text() + " already exists (exclusive create)");
                }
                if (existing.type() == FileType.DIRECTORY) {
                    throw FsException.invalid(Errno.EISDIR, p.text() + " is a directory");
                }
            }
            try {
                return open(path, flags, caller);
            } catch (FsException.NotFound raced) {
                // removed between our lookup and the open: create it after all
            }
        }
    }

    @Override
    public Attributes symlink(String target, String linkPath, Caller caller) throws FsException {
        byte[] t = Mutation.utf8(target);
        if (t.length == 0 || t.length > MAX_SYMLINK) {
            throw FsException.invalid(t.length == 0 ? Errno.EINVAL : Errno.ENAMETOOLONG, "symlink target must be 1.." + MAX_SYMLINK + " bytes, was " + t.length);
        }
        FsPath p = FsPath.parse(linkPath);
        long parent = parentDir(p);
        try (LockTable.Held l = locks.write(parent)) {
            Inode dir = liveDir(parent, p);
            requireAbsent(parent, p);
            long now = now();
            Inode link = newInode(FileType.SYMLINK, 0777, 1, caller, dir, now, t);
            link = new Inode(link.ino(), link.generation(), link.type(), link.perm(), 1, link.uid(), link.gid(), t.length,
                    now, now, now, 0, t);
            commit(caller, List.of(new Mutation.PutInode(link), new Mutation.PutDentry(parent, p.name(), link.ino(), FileType.SYMLINK),
                    new Mutation.PutInode(dir.touched(now))));
            return index.inode(link.ino()).attributes();
        }
    }

    @Override
    public String readlink(String path) throws FsException {
        Inode in = resolveInode(path);
        if (in.type() != FileType.SYMLINK) {
            throw FsException.invalid(Errno.EINVAL, path + " is not a symbolic link");
        }
        return in.targetString();
    }

    @Override
    public Attributes link(String existing, String newPath, Caller caller) throws FsException {
        FsPath src = FsPath.parse(existing);
        FsPath dst = FsPath.parse(newPath);
        PathCache.Child target = resolve(src);
        if (target.type() == FileType.DIRECTORY) {
            throw new FsException.Denied(Errno.EPERM, existing + " is a directory; directories cannot be hard-linked");
        }
        long parent = parentDir(dst);
        try (LockTable.Held l = locks.write(parent, target.ino())) {
            Inode dir = liveDir(parent, dst);
            requireAbsent(parent, dst);
            Inode in = index.inode(target.ino());
            if (in == null || in.nlink() == 0) {
                throw new FsException.NotFound(existing + ": no such file");
            }
            requireChangeable(in, existing, "hard link");
            if (in.nlink() >= MAX_LINKS) {
                throw FsException.invalid(Errno.EMLINK, existing + " already has " + in.nlink() + " links (the limit)");
            }
            long now = now();
            commit(caller, List.of(new Mutation.PutDentry(parent, dst.name(), in.ino(), in.type()),
                    new Mutation.PutInode(in.withNlink(in.nlink() + 1, now)), new Mutation.PutInode(dir.touched(now))));
            return index.inode(in.ino()).attributes();
        }
    }

    private void requireAbsent(long parent, FsPath p) throws FsException {
        if (index.lookup(parent, p.name()) != null) {
            throw new FsException.Exists(p.text() + " already exists");
        }
    }

    private Inode newInode(FileType type, int perm, int nlink, Caller caller, Inode dir, long now, byte[] target) throws FsException {
        long count = index.inodeCount.get();
        if (count >= config.maxFiles()) {
            throw new FsException.NoSpace("the index is full: " + count + " inodes, limit maxFiles = " + config.maxFiles(), null);
        }
        if (count >= config.maxFiles() * 8 / 10 && capacityWarned.compareAndSet(false, true)) {
            LOG.warn("the local index holds {} inodes, over 80% of maxFiles = {}; creating files fails at the limit",
                    count, config.maxFiles());
        }
        int gid = (dir.perm() & 02000) != 0 ? dir.gid() : caller.gid();
        return new Inode(nextIno.getAndIncrement(), 1, type, perm, nlink, caller.uid(), gid, 0, now, now, now, 0, target);
    }

    // ------------------------------------------------------------------ removing names

    @Override
    public void unlink(String path, Caller caller) throws FsException {
        FsPath p = FsPath.parse(path);
        long parent = parentDir(p);
        while (true) {
            PathCache.Child child = index.lookup(parent, p.name());
            if (child == null) {
                throw new FsException.NotFound(p.text() + ": no such file or directory");
            }
            if (child.type() == FileType.DIRECTORY) {
                throw FsException.invalid(Errno.EISDIR, p.text() + " is a directory (use rmdir)");
            }
            try (LockTable.Held l = locks.write(parent, child.ino())) {
                if (!child.equals(index.lookup(parent, p.name()))) {
                    continue;
                }
                Inode dir = liveDir(parent, p);
                Inode in = inode(child.ino(), p.text());
                requireChangeable(in, p.text(), "unlink");
                long now = now();
                List<Mutation> ms = new ArrayList<>(3);
                ms.add(new Mutation.DeleteDentry(parent, p.name()));
                ms.add(dropLink(in, now));
                ms.add(new Mutation.PutInode(dir.touched(now)));
                commit(caller, ms);
                paths.removed(p.text());
                return;
            }
        }
    }

    /** One name of {@code in} goes away: it loses a link, and disappears if that was the last and nobody has it open. */
    private Mutation dropLink(Inode in, long now) {
        if (in.nlink() <= 1 && !handles.isOpen(in.ino())) {
            return new Mutation.DeleteInode(in.ino());
        }
        return new Mutation.PutInode(in.withNlink(in.nlink() - 1, now));
    }

    @Override
    public void rmdir(String path, Caller caller) throws FsException {
        FsPath p = FsPath.parse(path);
        long parent = parentDir(p);
        while (true) {
            PathCache.Child child = index.lookup(parent, p.name());
            if (child == null) {
                throw new FsException.NotFound(p.text() + ": no such file or directory");
            }
            if (child.type() != FileType.DIRECTORY) {
                throw FsException.invalid(Errno.ENOTDIR, p.text() + " is not a directory");
            }
            try (LockTable.Held l = locks.write(parent, child.ino())) {
                if (!child.equals(index.lookup(parent, p.name()))) {
                    continue;
                }
                if (!index.isEmptyDir(child.ino())) {
                    throw FsException.invalid(Errno.ENOTEMPTY, p.text() + " is not empty");
                }
                Inode dir = liveDir(parent, p);
                long now = now();
                commit(caller, List.of(new Mutation.DeleteDentry(parent, p.name()), new Mutation.DeleteInode(child.ino()),
                        new Mutation.PutInode(dir.withNlink(dir.nlink() - 1, now).touched(now))));
                paths.removed(p.text());
                return;
            }
        }
    }

    @Override
    public void rename(String from, String to, int flags, Caller caller) throws FsException {
        if ((flags & OpenFlags.RENAME_EXCHANGE) != 0) {
            throw FsException.invalid(Errno.EINVAL, "RENAME_EXCHANGE is not supported");
        }
        if ((flags & ~OpenFlags.RENAME_NOREPLACE) != 0) {
            throw FsException.invalid(Errno.EINVAL, "unknown rename flags " + flags + " (accepted: 0, RENAME_NOREPLACE = 1)");
        }
        FsPath src = FsPath.parse(from);
        FsPath dst = FsPath.parse(to);
        if (src.isRoot() || dst.isRoot()) {
            throw FsException.invalid(Errno.EINVAL, "the root directory cannot be renamed or replaced");
        }
        while (true) {
            PathCache.Child moving = resolve(src);
            if (moving.type() != FileType.DIRECTORY) {
                if (renameLocked(src, dst, flags, false, caller)) {
                    return;
                }
                continue; // the name now holds a directory: retry with the rename lock
            }
            renameLock.lock();
            try {
                renameLocked(src, dst, flags, true, caller);
                return;
            } finally {
                renameLock.unlock();
            }
        }
    }

    /** Returns false if {@code src} turned out to be a directory while {@code isDir} is false (caller retries). */
    private boolean renameLocked(FsPath src, FsPath dst, int flags, boolean isDir, Caller caller) throws FsException {
        if (isDir && dst.within(src) && !dst.equals(src)) {
            throw FsException.invalid(Errno.EINVAL, "cannot move directory " + src.text() + " into itself (" + dst.text() + ")");
        }
        long srcParent = parentDir(src);
        long dstParent = parentDir(dst);
        while (true) {
            PathCache.Child moving = index.lookup(srcParent, src.name());
            if (moving == null) {
                throw new FsException.NotFound(src.text() + ": no such file or directory");
            }
            PathCache.Child replaced = index.lookup(dstParent, dst.name());
            long[] lockSet = replaced == null ? new long[] {srcParent, dstParent, moving.ino()}
                    : new long[] {srcParent, dstParent, moving.ino(), replaced.ino()};
            try (LockTable.Held l = locks.write(lockSet)) {
                if (!moving.equals(index.lookup(srcParent, src.name())) || !java.util.Objects.equals(replaced, index.lookup(dstParent, dst.name()))) {
                    continue;
                }
                if (moving.type() == FileType.DIRECTORY && !isDir) {
                    return false;
                }
                applyRename(src, dst, flags, srcParent, dstParent, moving, replaced, caller);
                return true;
            }
        }
    }

    private void applyRename(FsPath src, FsPath dst, int flags, long srcParent, long dstParent, PathCache.Child moving,
                             PathCache.Child replaced, Caller caller) throws FsException {
        if (replaced != null && replaced.ino() == moving.ino()) {
            if ((flags & OpenFlags.RENAME_NOREPLACE) != 0 && !src.equals(dst)) {
                throw new FsException.Exists(dst.text() + " already exists (RENAME_NOREPLACE)");
            }
            return; // same inode: POSIX says do nothing
        }
        requireChangeable(inode(moving.ino(), src.text()), src.text(), "rename");
        if (replaced != null) {
            requireChangeable(inode(replaced.ino(), dst.text()), dst.text(), "replacing it by rename");
            if ((flags & OpenFlags.RENAME_NOREPLACE) != 0) {
                throw new FsException.Exists(dst.text() + " already exists (RENAME_NOREPLACE)");
            }
            if (moving.type() == FileType.DIRECTORY && replaced.type() != FileType.DIRECTORY) {
                throw FsException.invalid(Errno.ENOTDIR, dst.text() + " is not a directory; cannot replace it with directory " + src.text());
            }
            if (moving.type() != FileType.DIRECTORY && replaced.type() == FileType.DIRECTORY) {
                throw FsException.invalid(Errno.EISDIR, dst.text() + " is a directory; cannot replace it with " + src.text());
            }
            if (replaced.type() == FileType.DIRECTORY && !index.isEmptyDir(replaced.ino())) {
                throw FsException.invalid(Errno.ENOTEMPTY, dst.text() + " is a directory that is not empty");
            }
        }
        long now = now();
        Map<Long, Inode> changed = new LinkedHashMap<>();
        changed.put(srcParent, liveDir(srcParent, src).touched(now));
        changed.put(dstParent, liveDir(dstParent, dst).touched(now));
        List<Mutation> ms = new ArrayList<>(8);
        ms.add(new Mutation.DeleteDentry(srcParent, src.name()));
        ms.add(new Mutation.PutDentry(dstParent, dst.name(), moving.ino(), moving.type()));
        boolean dirMove = moving.type() == FileType.DIRECTORY;
        if (replaced != null) {
            Inode old = inode(replaced.ino(), dst.text());
            if (old.isDir()) {
                ms.add(new Mutation.DeleteInode(old.ino()));
                adjustLinks(changed, dstParent, -1, now);
            } else {
                ms.add(dropLink(old, now));
            }
        }
        if (dirMove && srcParent != dstParent) {
            adjustLinks(changed, srcParent, -1, now);
            adjustLinks(changed, dstParent, +1, now);
        }
        changed.put(moving.ino(), inode(moving.ino(), src.text()).changed(now));
        for (Inode in : changed.values()) {
            ms.add(new Mutation.PutInode(in));
        }
        commit(caller, ms);
        if (dirMove || (replaced != null && replaced.type() == FileType.DIRECTORY)) {
            paths.removedTree();
        } else {
            paths.removed(src.text());
            paths.removed(dst.text());
        }
    }

    private static void adjustLinks(Map<Long, Inode> changed, long ino, int delta, long now) {
        Inode in = changed.get(ino);
        changed.put(ino, in.withNlink(in.nlink() + delta, now));
    }

    // ------------------------------------------------------------------ open files

    @Override
    public long open(String path, int flags, Caller caller) throws FsException {
        FsPath p = FsPath.parse(path);
        PathCache.Child c = resolve(p);
        if (c.type() == FileType.SYMLINK) {
            throw FsException.invalid(Errno.ELOOP, p.text() + " is a symbolic link (the kernel follows links before open)");
        }
        if (c.type() == FileType.DIRECTORY && OpenFlags.writable(flags)) {
            throw FsException.invalid(Errno.EISDIR, p.text() + " is a directory");
        }
        try (LockTable.Held l = locks.write(c.ino())) {
            Inode in = inode(c.ino(), p.text());
            if (in.nlink() == 0) {
                throw new FsException.NotFound(p.text() + ": no such file");
            }
            if (OpenFlags.writable(flags)) {
                requireChangeable(in, p.text(), "opening for writing");
            }
            if ((flags & OpenFlags.O_TRUNC) != 0 && OpenFlags.writable(flags) && in.type() == FileType.REGULAR) {
                truncateLocked(in, 0, caller);
            }
            return handles.open(c.ino(), flags);
        }
    }

    @Override
    public int read(long fh, long offset, ByteBuffer dst) throws FsException {
        Handles.OpenFile f = ioHandle(fh, false, offset);
        try (LockTable.Held l = locks.read(f.ino())) {
            Inode in = inode(f.ino(), "handle " + fh);
            if (in.isDir()) {
                throw FsException.invalid(Errno.EISDIR, "handle " + fh + " is a directory");
            }
            if (offset >= in.size() || !dst.hasRemaining()) {
                return 0;
            }
            int n = (int) Math.min(dst.remaining(), in.size() - offset);
            DataReader.read(wal, index, chunkSource, in.ino(), offset, dst.slice().limit(n));
            dst.position(dst.position() + n);
            ReadAhead ra = readAhead;
            if (ra != null) {
                ra.onRead(fh, in.ino(), offset, n, in.size());
            }
            return n;
        }
    }

    @Override
    public int write(long fh, long offset, ByteBuffer src, Caller caller) throws FsException {
        Handles.OpenFile f = ioHandle(fh, true, offset);
        int total = src.remaining();
        try (LockTable.Held l = locks.write(f.ino())) {
            Inode in = inode(f.ino(), "handle " + fh);
            long at = f.append() ? in.size() : offset;
            if (at + total < 0) {
                throw FsException.invalid(Errno.EFBIG, "write at " + at + " of " + total + " bytes is beyond the largest file size");
            }
            requireSpace(Math.max(0, at + total - in.size()));
            while (src.hasRemaining()) {
                int n = Math.min(src.remaining(), MAX_WRITE_RECORD);
                ByteBuffer piece = src.slice().limit(n);
                in = writeLocked(in, at, piece, caller);
                at += n;
                src.position(src.position() + n);
            }
        }
        return total;
    }

    /** The open file behind {@code fh}, checked for the access mode ({@code forWrite}) and a non-negative offset. */
    private Handles.OpenFile ioHandle(long fh, boolean forWrite, long offset) throws FsException {
        ensureOpen();
        Handles.OpenFile f = handles.file(fh);
        if (forWrite ? !OpenFlags.writable(f.flags()) : !OpenFlags.readable(f.flags())) {
            throw FsException.invalid(Errno.EBADF, "handle " + fh + " was not opened for " + (forWrite ? "writing" : "reading"));
        }
        if (offset < 0) {
            throw FsException.invalid(Errno.EINVAL, "negative " + (forWrite ? "write" : "read") + " offset " + offset);
        }
        return f;
    }

    /** Logs and applies one write of {@code data} at {@code at}; returns the inode after it. Caller holds the lock. */
    private Inode writeLocked(Inode in, long at, ByteBuffer data, Caller caller) throws FsException {
        gate.enter();
        try {
            return writeGated(in, at, data, caller);
        } finally {
            gate.exit();
        }
    }

    private Inode writeGated(Inode in, long at, ByteBuffer data, Caller caller) throws FsException {
        int len = data.remaining();
        long newSize = Math.max(in.size(), at + len);
        requireSpace(newSize - in.size());
        Inode after = in.withSize(newSize, now());
        ByteBuffer payload = FsRecord.write(header(caller), after, at, data);
        AppendResult r = append(FsRecord.TYPE_WRITE, payload);
        FsRecord.Write w = new FsRecord.Write(null, at, len, after, payload.limit() - len);
        long[] fragmented = {-1};
        applyOrFail(() -> fragmented[0] = index.applyWrite(w, r.pointer().segmentId(), r.pointer().position(), r.lsn()));
        if (fragmented[0] >= 0) {
            compactBlock(in.ino(), fragmented[0], caller);
            return index.inode(in.ino());
        }
        return after.withLsn(r.lsn());
    }

    /**
     * Rewrites one fragmented block as a single record (many tiny writes or overwrites left more than
     * {@link ExtentList#MAX_EXTENTS} pieces), keeping the index value small and reads sequential. Holes inside the
     * block become zeros. Caller holds the inode's write lock.
     */
    private void compactBlock(long ino, long block, Caller caller) throws FsException {
        Inode in = index.inode(ino);
        long start = block << ExtentList.BLOCK_SHIFT;
        int len = (int) Math.min(ExtentList.BLOCK_SIZE, in.size() - start);
        ByteBuffer data = ByteBuffer.allocate(len);
        DataReader.read(wal, index, chunkSource, ino, start, data);
        ByteBuffer payload = FsRecord.write(header(caller), in, start, data);
        AppendResult r = append(FsRecord.TYPE_WRITE, payload);
        FsRecord.Write w = new FsRecord.Write(null, start, len, in, payload.limit() - len);
        applyOrFail(() -> index.applyWrite(w, r.pointer().segmentId(), r.pointer().position(), r.lsn()));
    }

    private void requireSpace(long growth) throws FsException {
        if (growth > 0 && index.bytesStored.get() + growth > config.capacityBytes()) {
            throw new FsException.NoSpace("the filesystem is full: " + index.bytesStored.get() + " of " + config.capacityBytes()
                    + " bytes (capacityBytes) are stored", null);
        }
    }

    @Override
    public void truncate(String path, long size, Caller caller) throws FsException {
        FsPath p = FsPath.parse(path);
        PathCache.Child c = resolve(p);
        truncateIno(c.ino(), size, p.text(), caller);
    }

    @Override
    public void truncate(long fh, long size, Caller caller) throws FsException {
        Handles.OpenFile f = ioHandle(fh, true, 0);
        truncateIno(f.ino(), size, "handle " + fh, caller);
    }

    private void truncateIno(long ino, long size, String what, Caller caller) throws FsException {
        if (size < 0) {
            throw FsException.invalid(Errno.EINVAL, "negative size " + size + " for truncate of " + what);
        }
        try (LockTable.Held l = locks.write(ino)) {
            Inode in = inode(ino, what);
            if (in.isDir()) {
                throw FsException.invalid(Errno.EISDIR, what + " is a directory");
            }
            if (in.type() != FileType.REGULAR) {
                throw FsException.invalid(Errno.EINVAL, what + " is not a regular file");
            }
            requireChangeable(in, what, "truncate");
            truncateLocked(in, size, caller);
        }
    }

    private void truncateLocked(Inode in, long size, Caller caller) throws FsException {
        requireSpace(size - in.size());
        List<Mutation> ms = new ArrayList<>(2);
        if (size < in.size()) {
            ms.add(new Mutation.Truncate(in.ino(), size));
        }
        ms.add(new Mutation.PutInode(in.withSize(size, now())));
        commit(caller, ms);
    }

    @Override
    public void flush(long fh) throws FsException {
        handles.file(fh);
    }

    @Override
    public void release(long fh, Caller caller) throws FsException {
        Handles.OpenFile f = handles.remove(fh);
        ReadAhead ra = readAhead;
        if (ra != null) {
            ra.closed(fh);
        }
        try (LockTable.Held l = locks.write(f.ino())) {
            if (handles.closed(f.ino()) == 0) {
                Inode in = index.inode(f.ino());
                if (in != null && in.nlink() == 0 && !closed) {
                    commit(caller, List.of(new Mutation.DeleteInode(f.ino())));
                }
            }
        }
    }

    @Override
    public void fsync(long fh, boolean dataOnly) throws FsException {
        ensureOpen();
        syncInode(handles.file(fh).ino());
    }

    private void syncInode(long ino) throws FsException {
        Inode in = index.inode(ino);
        long lsn = in == null ? wal.lastLsn() : in.lsn();
        try {
            wal.sync(lsn);
        } catch (WriteLogException e) {
            throw new FsException.Io("fsync failed: the write-log could not be forced: " + e.getMessage(), e);
        }
        Flusher f = flusher;
        if (f != null && remote.ship().durability() == ShipConfig.Durability.REMOTE
                && !f.awaitShipped(lsn, remote.ship().drainTimeout().toNanos())) {
            throw new FsException.Io("fsync (durability remote): the data was not committed in the bucket within "
                    + remote.ship().drainTimeout() + "; it is durable in the local write-log", null);
        }
    }

    // ------------------------------------------------------------------ directories

    @Override
    public long opendir(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        PathCache.Child c = resolve(p);
        if (c.type() != FileType.DIRECTORY) {
            throw FsException.invalid(Errno.ENOTDIR, p.text() + " is not a directory");
        }
        long parent = p.isRoot() ? ROOT : resolve(p.parent()).ino();
        return handles.openDir(c.ino(), parent);
    }

    @Override
    public List<DirEntry> readdir(long dh, long offset, int max) throws FsException {
        ensureOpen();
        Handles.OpenDir d = handles.dir(dh);
        if (offset < 0) {
            throw FsException.invalid(Errno.EINVAL, "negative readdir offset " + offset);
        }
        List<DirEntry> snap = d.snapshot;
        if (snap == null || offset == 0) {
            snap = snapshot(d);
            d.snapshot = snap;
        }
        int from = (int) Math.min(offset, snap.size());
        int to = (int) Math.min(snap.size(), (long) from + Math.max(0, max));
        return snap.subList(from, to);
    }

    private List<DirEntry> snapshot(Handles.OpenDir d) throws FsException {
        try (LockTable.Held l = locks.read(d.ino)) {
            List<DirEntry> entries = index.list(d.ino);
            List<DirEntry> out = new ArrayList<>(entries.size() + 2);
            out.add(new DirEntry(".", d.ino, FileType.DIRECTORY, 1));
            out.add(new DirEntry("..", d.parentIno, FileType.DIRECTORY, 2));
            for (DirEntry e : entries) {
                out.add(new DirEntry(e.name(), e.ino(), e.type(), out.size() + 1));
            }
            return List.copyOf(out);
        }
    }

    @Override
    public void releasedir(long dh) throws FsException {
        handles.closeDir(dh);
    }

    @Override
    public void fsyncdir(long dh, boolean dataOnly) throws FsException {
        ensureOpen();
        syncInode(handles.dir(dh).ino);
    }

    // ------------------------------------------------------------------ extended attributes

    @Override
    public byte[] getxattr(String path, String name) throws FsException {
        Inode in = resolveInode(path);
        byte[] v = index.xattrs(in.ino()).values().get(name);
        if (v == null) {
            throw FsException.invalid(Errno.ENODATA, path + " has no extended attribute " + name);
        }
        return v.clone();
    }

    @Override
    public List<String> listxattr(String path) throws FsException {
        Inode in = resolveInode(path);
        return List.copyOf(index.xattrs(in.ino()).values().keySet());
    }

    @Override
    public void setxattr(String path, String name, byte[] value, int flags, Caller caller) throws FsException {
        XattrRules.checkName(name);
        if (value.length > Xattrs.MAX_VALUE) {
            throw FsException.invalid(Errno.E2BIG, "extended attribute value of " + value.length + " bytes; the limit is " + Xattrs.MAX_VALUE);
        }
        changeXattrs(path, caller, x -> {
            boolean present = x.values().containsKey(name);
            if ((flags & OpenFlags.XATTR_CREATE) != 0 && present) {
                throw new FsException.Exists(path + " already has extended attribute " + name + " (XATTR_CREATE)");
            }
            if ((flags & OpenFlags.XATTR_REPLACE) != 0 && !present) {
                throw FsException.invalid(Errno.ENODATA, path + " has no extended attribute " + name + " (XATTR_REPLACE)");
            }
            Xattrs next = x.with(name, value);
            if (next.totalBytes() > Xattrs.MAX_TOTAL) {
                throw new FsException.NoSpace("extended attributes of " + path + " would take " + next.totalBytes()
                        + " bytes; the limit per file is " + Xattrs.MAX_TOTAL, null);
            }
            return next;
        });
    }

    @Override
    public void removexattr(String path, String name, Caller caller) throws FsException {
        XattrRules.checkName(name);
        changeXattrs(path, caller, x -> {
            if (!x.values().containsKey(name)) {
                throw FsException.invalid(Errno.ENODATA, path + " has no extended attribute " + name);
            }
            return x.without(name);
        });
    }

    private interface XattrChange {
        Xattrs apply(Xattrs current) throws FsException;
    }

    private void changeXattrs(String path, Caller caller, XattrChange change) throws FsException {
        FsPath p = FsPath.parse(path);
        long ino = resolve(p).ino();
        try (LockTable.Held l = locks.write(ino)) {
            Inode in = inode(ino, p.text());
            requireChangeable(in, p.text(), "changing extended attributes");
            Xattrs next = change.apply(index.xattrs(ino));
            commit(caller, List.of(new Mutation.SetXattrs(ino, next.toBytes()), new Mutation.PutInode(in.changed(now()))));
        }
    }

    // ------------------------------------------------------------------ filesystem

    @Override
    public StatFs statfs() {
        long bs = Attributes.BLOCK_SIZE;
        long total = config.capacityBytes() / bs;
        long free = Math.max(0, (config.capacityBytes() - index.bytesStored.get()) / bs);
        long files = config.maxFiles();
        return new StatFs(bs, total, free, free, files, Math.max(0, files - index.inodeCount.get()), FsPath.MAX_NAME);
    }

    /** Bytes stored (sum of regular file sizes), for status and tests. */
    public long bytesStored() {
        return index.bytesStored.get();
    }

    /** Inodes in the index, for status and tests. */
    public long inodeCount() {
        return index.inodeCount.get();
    }

    /** Forces the whole log: everything done so far survives a crash. */
    public void syncAll() throws FsException {
        try {
            wal.sync(wal.lastLsn());
        } catch (WriteLogException e) {
            throw new FsException.Io("the write-log could not be forced: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() throws FsException {
        if (closed) {
            return;
        }
        for (long fh : handles.openFileHandles()) {
            release(fh);
        }
        boolean drained = drain();
        if (drained && flusher != null && !flusher.checkpointNow(remote.ship().drainTimeout().toNanos())) {
            LOG.warn("unmount: no checkpoint could be written at the log head; the next mount rebuilds its index from the bucket");
        }
        closed = true;
        try {
            wal.sync(wal.lastLsn());
            if (flusher != null) {
                flusher.close();
            }
            index.closeAndForce();
            if (failure == null) {
                long headSeq = flusher == null ? 0 : flusher.headSeq();
                long ckptSeq = flusher == null ? 0 : flusher.checkpointSeq();
                new CleanMarker(wal.lastLsn(), index.bytesStored.get(), index.inodeCount.get(), index.maxIno.get(), headSeq, ckptSeq).write(indexDir);
            }
            wal.close();
        } catch (IOException e) {
            index.closeQuietly();
            closeQuietly(wal);
            throw new FsException.Io("clean shutdown of " + config.stateDirectory() + " failed (the next open rebuilds the index): " + e, e);
        } finally {
            if (cache != null) {
                cache.close();
            }
            if (lease != null) {
                if (drained) {
                    lease.release();
                } else {
                    lease.abandon();
                }
            }
        }
    }

    /**
     * Ships everything to the bucket within the drain timeout. Returns false if it could not (the changes stay in
     * the local write-log and are shipped by the next mount; the lease is then kept, not released, so that no other
     * host takes over a filesystem whose newest changes are here).
     */
    private boolean drain() {
        if (flusher == null) {
            return true;
        }
        try {
            boolean done = flusher.awaitShipped(wal.lastLsn(), remote.ship().drainTimeout().toNanos());
            if (!done) {
                LOG.warn("unmount: {} changes could not be shipped to {} within {}; they stay in the local write-log "
                        + "and the lease is kept", wal.lastLsn() - flusher.shippedLsn(), remote.store().location(), remote.ship().drainTimeout());
            }
            return done;
        } catch (FsException e) {
            LOG.warn("unmount: shipping stopped ({}); unshipped changes stay in the local write-log", e.getMessage());
            return false;
        }
    }

    /**
     * Status figures of the shipping side (zeros without a bucket). {@code checkpointsCapturedUnshipped}: checkpoints
     * captured while writes were waiting to be shipped (under load); {@code checkpointPauseMaxNanos}: the longest time
     * writers were held back for a checkpoint capture.
     */
    public record ShipStatus(long lastLsn, long shippedLsn, long headSeq, long bytesUploaded, long putRequests,
                             long retries, long rewrittenBytes, String failure, long checkpointSeq, long checkpointsWritten,
                             long checkpointsCapturedUnshipped, long checkpointPauseMaxNanos) {
    }

    public ShipStatus shipStatus() {
        Flusher f = flusher;
        if (f == null) {
            return new ShipStatus(wal.lastLsn(), 0, 0, 0, 0, 0, 0, null, 0, 0, 0, 0);
        }
        return new ShipStatus(wal.lastLsn(), f.shippedLsn(), f.headSeq(), f.bytesUploaded(), f.putRequests(), f.retries(), f.rewrittenBytes(), f.failure(),
                f.checkpointSeq(), f.checkpointsWritten(), f.checkpointsCapturedUnshipped(), f.checkpointPauseMaxNanos());
    }

    /**
     * What an operator asks of a running mount beyond {@link #shipStatus()}: write-log bytes held (not yet released
     * after shipping), when the oldest unshipped change was made (null if none), and the lease ("none" without a
     * bucket or for a read-only view).
     */
    public record OperatorStatus(long walBytesHeld, java.time.Instant oldestUnshippedAt, String lease) {
    }

    public OperatorStatus operatorStatus() {
        java.time.Instant oldest = null;
        Flusher f = flusher;
        long shipped = f == null ? wal.lastLsn() : f.shippedLsn();
        if (f != null && wal.lastLsn() > shipped) {
            try (RecordCursor cursor = wal.readFrom(shipped + 1)) {
                if (cursor.next()) {
                    long ns = FsRecord.readHeader(cursor.record().payload()).timeNs();
                    oldest = java.time.Instant.ofEpochSecond(0, ns);
                }
            } catch (WriteLogException | RuntimeException e) {
                // Released meanwhile (shipped between the two reads): nothing older is pending.
            }
        }
        Lease l = lease;
        String leaseText = "none";
        if (l != null) {
            Lease.Status st = l.status();
            leaseText = st.state() + (st.record() == null ? "" : ", valid until " + st.record().expiresAt())
                    + (st.consecutiveFailures() > 0 ? ", " + st.consecutiveFailures() + " renewals failed in a row" : "");
        }
        return new OperatorStatus(wal.bytesHeld(), oldest, leaseText);
    }

    /** Counters and sizes of the chunk cache, or null for a filesystem without a bucket. */
    public CacheStats cacheStats() {
        ChunkCache c = cache;
        return c == null ? null : c.stats();
    }

    /**
     * The write-log's use of local disk, for monitoring.
     *
     * @param bytesHeld        bytes of its segment files (shipped records stay until their whole segment is released)
     * @param capacityBytes    its cap: at it writers wait, then fail with ENOSPC
     * @param unshippedBytes   bytes of the records not yet committed to the bucket (0 without a bucket or read-only)
     * @param unshippedRecords how many records that is
     */
    public record WalUsage(long bytesHeld, long capacityBytes, long unshippedBytes, long unshippedRecords) {
    }

    public WalUsage walUsage() {
        Flusher f = flusher;
        long last = wal.lastLsn();
        long shipped = f == null ? last : Math.min(last, f.shippedLsn());
        long bytes = 0;
        if (shipped < last) {
            try {
                bytes = wal.bytesFrom(shipped + 1);
            } catch (WriteLogException | RuntimeException e) {
                // Released meanwhile (shipped between the two reads) or closing: nothing is left to count.
            }
        }
        return new WalUsage(wal.bytesHeld(), wal.config().capacityBytes(), bytes, last - shipped);
    }

    /** The single-writer lease as this mount sees it, or null (no bucket, or a read-only view, which takes none). */
    public Lease.Status leaseStatus() {
        Lease l = lease;
        return l == null ? null : l.status();
    }

    /** What the shipper (the flusher that commits the write-log to the bucket) is doing; see {@link #shipperState()}. */
    public enum ShipperState {
        /** There is no shipper: no bucket, or a read-only view. */
        NONE,
        /** Everything is shipped. */
        IDLE,
        /** Changes are waiting or being uploaded. */
        SHIPPING,
        /** A request or batch failed and the shipper waits out its backoff before trying again (S3 slow or down). */
        RETRYING,
        /** The shipper ended: the filesystem is closing, or a failure it cannot retry ({@link ShipStatus#failure()}). */
        STOPPED
    }

    public ShipperState shipperState() {
        Flusher f = flusher;
        if (f == null) {
            return ShipperState.NONE;
        }
        if (!f.alive()) {
            return ShipperState.STOPPED;
        }
        if (f.retrying()) {
            return ShipperState.RETRYING;
        }
        return wal.lastLsn() > f.shippedLsn() ? ShipperState.SHIPPING : ShipperState.IDLE;
    }

    /** GETs of chunks the read path repeated after a transient S3 failure, since mount. */
    public long readRetries() {
        return chunkSource instanceof ChunkReader r ? r.retries() : 0;
    }

    /** Chunk objects uploaded since mount (not counting log segments and checkpoints). */
    public long chunksUploaded() {
        Flusher f = flusher;
        return f == null ? 0 : f.chunksUploaded();
    }

    /** Ships everything logged so far and waits for the commit (tests, and {@code --durability=remote}). */
    public void flushToBucket(java.time.Duration timeout) throws FsException {
        if (flusher != null && !flusher.awaitShipped(wal.lastLsn(), timeout.toNanos())) {
            throw new FsException.Io("shipping to the bucket did not finish within " + timeout, null);
        }
    }

    /**
     * Stops like a killed process: closes the files without the clean marker, so the next {@link #open} rebuilds
     * the index from the write-log. (The write-log's page-cache contents survive, as they do a real kill -9.)
     * For crash tests.
     */
    public void crashForTesting() {
        closed = true;
        if (flusher != null) {
            flusher.close();
        }
        if (cache != null) {
            cache.close();
        }
        index.closeQuietly();
        closeQuietly(wal);
        if (lease != null) {
            lease.abandon();
        }
    }

    // ------------------------------------------------------------------ logging a change

    private long commit(Caller caller, List<Mutation> ms) throws FsException {
        gate.enter();
        try {
            AppendResult r = append(FsRecord.TYPE_MUTATIONS, FsRecord.mutations(header(caller), ms));
            applyOrFail(() -> index.apply(ms, r.lsn()));
            return r.lsn();
        } finally {
            gate.exit();
        }
    }

    private AppendResult append(byte type, ByteBuffer payload) throws FsException {
        if (closed) {
            throw new FsException.Io("the filesystem is closed", null);
        }
        if (failure != null) {
            throw new FsException.Io("the filesystem stopped accepting changes: " + failure, null);
        }
        if (readOnly != null) {
            throw new FsException.Denied(Errno.EROFS, readOnly);
        }
        try {
            AppendResult r = wal.append(type, payload);
            Flusher f = flusher;
            if (f != null) {
                f.appended(payload.limit());
            }
            return r;
        } catch (org.pacsfs.wal.WriteLogFullException e) {
            warnNoSpace("writes fail with ENOSPC: the local write-log reached its cap and nothing could be shipped to free it ("
                    + e.getMessage() + "); acknowledged data is safe, writing resumes as soon as shipping catches up");
            throw new FsException.NoSpace("the local write-log is full (" + e.getMessage() + ")", e);
        } catch (org.pacsfs.wal.WriteLogReadOnlyException e) {
            throw new FsException.Denied(Errno.EROFS, "the local write-log is read-only after an I/O error: " + e.getMessage());
        } catch (WriteLogException e) {
            if (diskFull(e)) {
                warnNoSpace("writes fail with ENOSPC: the disk of the write-log (" + wal.config().directory() + ") is full; "
                        + "acknowledged data is safe, writing resumes when space is freed");
                throw new FsException.NoSpace("the disk of the local write-log is full: " + e.getMessage(), e);
            }
            throw new FsException.Io("the local write-log could not append: " + e.getMessage(), e);
        }
    }

    private final java.util.concurrent.atomic.AtomicLong lastNoSpaceWarning = new java.util.concurrent.atomic.AtomicLong();

    /** One line per 10 s at most: a writer retrying in a loop must not flood the log. */
    private void warnNoSpace(String message) {
        long now = System.nanoTime();
        long last = lastNoSpaceWarning.get();
        if ((last == 0 || now - last > 10_000_000_000L) && lastNoSpaceWarning.compareAndSet(last, now)) {
            LOG.warn(message);
        }
    }

    private static boolean diskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Applies a record already in the log. If that fails (it should not: capacity is checked first) the index no
     * longer matches the log, so the filesystem refuses further changes; reopening rebuilds the index from the log.
     */
    private void applyOrFail(Runnable apply) throws FsException {
        try {
            apply.run();
        } catch (RuntimeException e) {
            failure = "applying a logged change to the local index failed (" + e + "); unmount and mount again to rebuild the index";
            LOG.error(failure, e);
            throw new FsException.Io(failure, e);
        }
    }

    private FsRecord.Header header(Caller c) {
        return new FsRecord.Header(now(), c.uid(), c.pid());
    }

    private long now() {
        return config.clock().getAsLong();
    }

    private static void closeQuietly(WriteLog wal) {
        if (wal == null) {
            return;
        }
        try {
            wal.close();
        } catch (WriteLogException | RuntimeException e) {
            LOG.debug("closing the write-log after a failure: {}", e.toString());
        }
    }
}
