package org.pacsfs.core.fs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkCodec;
import org.pacsfs.core.bucket.LogBase;
import org.pacsfs.core.bucket.Superblock;
import org.pacsfs.core.bucket.SuperblockException;
import org.pacsfs.core.store.ObjectStore;

/**
 * The history of a filesystem in a bucket, read from its metadata log: the committed states of a file
 * ({@link #versions}) and a file's content as of a time ({@link #readAt}).
 *
 * <p>It walks the log from segment 1 — checkpoints let a mount skip old segments, history does not — into a private
 * index in a scratch directory, verifying the hash chain as a mount does. After {@code pacsfs gc} pruned the log, it
 * starts from the log base instead: the base's checkpoint is the state before the base's first segment, listed as a
 * version of its own ({@link #BASE_OPERATION}), and a time before the base's time is refused. The state of the filesystem is
 * only defined at segment boundaries (a segment is the unit of commit; within one, superseded writes keep no data),
 * so a version is the state of a file after a segment that changed it.
 *
 * <p><b>Time of a segment</b>: the latest wall-clock time of the operations it holds (each operation records when
 * the application made it; the writer's clock), or its creation time if it holds none with a time. "The file as of
 * T" is the file after the last segment of the longest prefix of the log whose segments all have a time at or before
 * T: shipping delay (seconds normally, hours after an outage) does not move a change to a later time.
 *
 * <p>Not thread-safe; one walk per instance, forward only. Reads and changes nothing in the bucket.
 */
public final class FileHistory implements AutoCloseable {

    /**
     * One committed state of a file.
     *
     * @param seq        the log segment after which the file was in this state
     * @param time       the segment's time (see the class comment)
     * @param exists     false: the path named no file after this segment (deleted or renamed away)
     * @param ino        the inode the path named (0 if none)
     * @param type       file type (null if none)
     * @param size       bytes (0 if none)
     * @param mtime      the file's modification time (null if none)
     * @param perm       permission bits (0 if none)
     * @param owner      the file's uid (-1 if none)
     * @param group      the file's gid (-1 if none)
     * @param sha256     SHA-256 of the content, lowercase hex (null for directories, symlinks and absent files)
     * @param operations what in this segment changed the file: {@code write}, {@code truncate}, {@code link} (a name
     *                   now refers to it: create, rename or hard link), {@code unlink}, {@code setattr},
     *                   {@code xattr}, joined by {@code +}
     * @param uid        uid of the caller of the last of those operations (-1: not recorded)
     * @param pid        pid of that caller (-1: not recorded)
     */
    public record Version(long seq, Instant time, boolean exists, long ino, FileType type, long size, Instant mtime,
                          int perm, int owner, int group, String sha256, String operations, int uid, long pid) {
    }

    /**
     * {@link Version#sha256()} of a version whose data is no longer in the bucket (pacsfs gc removed it after the
     * retention, or it is lost; pacsfs verify tells which).
     */
    public static final String DATA_REMOVED = "(data removed)";

    private final ObjectStore store;
    private final BucketKeys keys;
    private final UUID fsId;
    private final LocalIndex index;
    private final ChunkReader chunks;
    private final List<Long> seqs;
    /** Where the log begins: segment 1, or after gc pruned it, the log base (its checkpoint is loaded into the index). */
    private final BucketLog.Start start;
    private long applied;
    private byte[] prev;
    /** The last segment applied (null: none yet), so that readAt may be called again at a later time. */
    private MetaSegment lastSegment;
    /** The next segment, read and verified by {@link #peekNext()} but not applied yet. */
    private MetaSegment cached;

    private FileHistory(ObjectStore store, BucketKeys keys, UUID fsId, LocalIndex index, BucketLog.Start start, List<Long> seqs) {
        this.store = store;
        this.keys = keys;
        this.fsId = fsId;
        this.index = index;
        this.start = start;
        this.seqs = seqs;
        this.prev = start.head().sha256();
        this.chunks = new ChunkReader(store, keys, new ChunkCodec(), index, 64L << 20);
    }

    /**
     * Opens the history of the filesystem under {@code prefix} of {@code store}, with its private index under
     * {@code config}'s state directory (which should be empty; the caller owns and deletes it).
     *
     * @throws FsException.Io if the bucket holds no pacsfs filesystem or its log cannot be listed
     */
    public static FileHistory open(ObjectStore store, String prefix, FsConfig config) throws FsException {
        BucketKeys keys = BucketKeys.under(prefix);
        try {
            UUID fsId = Superblock.read(store, keys).orElseThrow(() -> new IllegalStateException(
                    "the bucket holds no pacsfs filesystem (no superblock)")).fsId();
            Path dir = config.stateDirectory().resolve("history-index");
            LocalIndex index = LocalIndex.createEmpty(dir, config.indexSizing());
            try {
                BucketLog.Start start = BucketLog.start(store, keys, fsId, index);
                return new FileHistory(store, keys, fsId, index, start, BucketLog.segmentSeqs(store, keys, start.firstSeq()));
            } catch (RuntimeException e) {
                index.closeQuietly();
                throw e;
            }
        } catch (IOException | SuperblockException | RuntimeException e) {
            throw new FsException.Io("cannot read the history of " + store.location() + ": " + e.getMessage(), e);
        }
    }

    /** The number of segments in the log when this history was opened (from the log base, if gc pruned the log). */
    public long segments() {
        return seqs.size();
    }

    /** Since when the history is complete: null for the whole log; after gc pruned it, the log base's time. */
    public Instant historyStart() {
        return start.base().map(LogBase::time).orElse(null);
    }

    /**
     * Every committed state of {@code path}: one entry per segment after which the file at that path differed from
     * before (content, size, inode, attributes), including its disappearance. Oldest first.
     */
    public List<Version> versions(String path) throws FsException {
        List<String> names = FsPath.parse(path).names();
        List<Version> out = new ArrayList<>();
        Version last = null;
        Inode lastInode = null;
        if (start.base().isPresent() && applied == 0) {
            Inode atBase = lookup(names);
            if (atBase != null) {
                last = baseVersion(atBase);
                lastInode = atBase;
                out.add(last);
            }
        }
        while (applied < seqs.size()) {
            MetaSegment seg = applyNext();
            Inode now = lookup(names);
            if (!changed(lastInode, now)) {
                continue;
            }
            if (now == null) {
                Touch t = touches(seg, lastInode.ino());
                // The path is gone: the inode with it (unlink), or it lives on under another name (rename away).
                String what = index.inode(lastInode.ino()) == null ? "unlink" : "rename-away";
                last = new Version(seg.seq(), segmentTime(seg), false, 0, null, 0, null, 0, -1, -1, null, what, t.uid, t.pid);
            } else {
                Touch t = touches(seg, now.ino());
                String sha = sameContent(lastInode, last, now) ? last.sha256() : contentSha256(now);
                last = new Version(seg.seq(), segmentTime(seg), true, now.ino(), now.type(), now.size(),
                        Instant.ofEpochSecond(0, now.mtime()), now.perm(), now.uid(), now.gid(), sha, t.describe("link"), t.uid, t.pid);
            }
            lastInode = now;
            out.add(last);
        }
        return out;
    }

    /**
     * Writes the content of {@code path} as of {@code at} to {@code out}.
     *
     * @return the version written (its {@link Version#operations()} is empty)
     * @throws FsException.NotFound if the path named no file then (or names a directory)
     */
    public Version readAt(String path, Instant at, OutputStream out) throws FsException, IOException {
        List<String> names = FsPath.parse(path).names();
        refuseBeforeBase(path, at);
        MetaSegment lastApplied = lastSegment;
        while (applied < seqs.size()) {
            MetaSegment next = peekNext();
            if (segmentTime(next).isAfter(at)) {
                break;
            }
            applyNext();
            lastApplied = next;
        }
        Inode in = lookup(names);
        long seq = lastApplied != null ? lastApplied.seq() : start.head().seq();
        if (in == null || in.type() != FileType.REGULAR) {
            throw new FsException.NotFound(path + ": " + (in == null ? "no such file" : "not a regular file") + " as of " + at
                    + (seq == 0 ? " (the log holds nothing that old)" : " (log segment " + seq + ")"));
        }
        MessageDigest md = sha256();
        try {
            copy(in, buf -> {
                md.update(buf.duplicate());
                out.write(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining());
            });
        } catch (FsException e) {
            if (chunkGone(e)) {
                throw new FsException.Io(path + " as of " + at + " (log segment " + seq + "): its data is no "
                        + "longer in the bucket (removed by pacsfs gc after the retention, or lost: pacsfs verify tells which)", e);
            }
            throw e;
        }
        Instant time = lastApplied != null ? segmentTime(lastApplied) : start.base().get().time();
        return new Version(seq, time, true, in.ino(), in.type(), in.size(),
                Instant.ofEpochSecond(0, in.mtime()), in.perm(), in.uid(), in.gid(), HexFormat.of().formatHex(md.digest()), "", -1, -1);
    }

    /** The history before the log base was pruned by gc: a time before the base's cannot be shown. */
    private void refuseBeforeBase(String path, Instant at) throws FsException {
        if (start.base().isPresent() && at.isBefore(start.base().get().time())) {
            LogBase b = start.base().get();
            throw new FsException.Invalid(Errno.EINVAL, path + " as of " + at + ": the history before " + b.time() + " was pruned "
                    + "by pacsfs gc (the log begins at segment " + b.seq() + "; the earliest time that can be shown is " + b.time() + ")");
        }
    }

    /** The file as the log base's checkpoint holds it: the oldest state left after gc pruned the log. */
    private Version baseVersion(Inode in) throws FsException {
        return new Version(start.head().seq(), start.base().get().time(), true, in.ino(), in.type(), in.size(),
                Instant.ofEpochSecond(0, in.mtime()), in.perm(), in.uid(), in.gid(), contentSha256(in), BASE_OPERATION, -1, -1);
    }

    /** {@link Version#operations()} of the state at the log base (what made it is in the pruned segments). */
    public static final String BASE_OPERATION = "log-base";

    // ------------------------------------------------------------------ the walk

    private MetaSegment peekNext() {
        if (cached == null) {
            long seq = seqs.get((int) applied);
            BucketLog.Chained c = BucketLog.readChained(store, keys, fsId, seq, prev, " (run pacsfs verify)");
            prev = c.sha256();
            cached = c.segment();
        }
        return cached;
    }

    private MetaSegment applyNext() {
        MetaSegment seg = peekNext();
        BucketLog.apply(seg, index);
        lastSegment = seg;
        cached = null;
        applied++;
        return seg;
    }

    /** The segment's time: its latest operation time, else its creation time. */
    static Instant segmentTime(MetaSegment seg) {
        long latest = Long.MIN_VALUE;
        for (MetaSegment.Op op : seg.ops()) {
            if (op.type() != MetaSegment.OP_CHUNK_REWRITE) {
                latest = Math.max(latest, FsRecord.readHeader(ByteBuffer.wrap(op.body())).timeNs());
            }
        }
        return Instant.ofEpochSecond(0, latest == Long.MIN_VALUE ? seg.createdAtNs() : latest);
    }

    private Inode lookup(List<String> names) {
        long ino = LocalFileSystem.ROOT;
        for (String name : names) {
            PathCache.Child c = index.lookup(ino, name);
            if (c == null) {
                return null;
            }
            ino = c.ino();
        }
        return index.inode(ino);
    }

    // ------------------------------------------------------------------ versions

    /** True if the file at the path differs from the last version: appeared, vanished, other inode, content or attributes. */
    private static boolean changed(Inode last, Inode now) {
        if (last == null || now == null) {
            return last != now;
        }
        return now.ino() != last.ino() || now.type() != last.type() || now.size() != last.size() || now.mtime() != last.mtime()
                || now.ctime() != last.ctime() || now.perm() != last.perm() || now.uid() != last.uid() || now.gid() != last.gid();
    }

    /** Same inode, size and mtime as the last version: its content hash stands (a write always moves mtime). */
    private static boolean sameContent(Inode last, Version lastVersion, Inode now) {
        return last != null && lastVersion.sha256() != null && last.ino() == now.ino() && last.size() == now.size()
                && last.mtime() == now.mtime();
    }

    private static long toNs(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private String contentSha256(Inode in) throws FsException {
        if (in.type() != FileType.REGULAR) {
            return null;
        }
        MessageDigest md = sha256();
        try {
            copy(in, buf -> md.update(buf));
        } catch (IOException e) {
            throw new FsException.Io(e.getMessage(), e);
        } catch (FsException e) {
            if (chunkGone(e)) {
                return DATA_REMOVED;
            }
            throw e;
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** True if {@code e} comes from a chunk that is not in the bucket (GC removed it after the retention, or it is lost). */
    private static boolean chunkGone(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.pacsfs.core.store.ObjectStoreException.NotFound) {
                return true;
            }
        }
        return false;
    }

    private interface Sink {
        void accept(ByteBuffer data) throws IOException;
    }

    private void copy(Inode in, Sink sink) throws FsException, IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long off = 0; off < in.size(); off += buf.capacity()) {
            buf.clear().limit((int) Math.min(buf.capacity(), in.size() - off));
            DataReader.read(null, index, chunks, in.ino(), off, buf);
            buf.position(0);
            sink.accept(buf);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** What a segment did to one inode, and who did the last of it. */
    private static final class Touch {
        final Set<String> what = new LinkedHashSet<>();
        int uid = -1;
        long pid = -1;

        void by(FsRecord.Header h, String op) {
            what.add(op);
            uid = h.uid();
            pid = h.pid();
        }

        String describe(String fallback) {
            if (what.size() > 1) {
                what.remove("setattr"); // a create or write also sets attributes: not worth a word of its own
            }
            return what.isEmpty() ? fallback : String.join("+", what);
        }
    }

    private static Touch touches(MetaSegment seg, long ino) {
        Touch t = new Touch();
        for (MetaSegment.Op op : seg.ops()) {
            if (op.type() == MetaSegment.OP_CHUNK_REWRITE) {
                continue;
            }
            ByteBuffer body = ByteBuffer.wrap(op.body());
            if (op.type() != MetaSegment.OP_MUTATIONS) {
                FsRecord.Write w = FsRecord.readWriteHeader(body);
                if (w.inode().ino() == ino) {
                    t.by(w.header(), "write");
                }
                continue;
            }
            FsRecord.Header h = FsRecord.readHeader(body.duplicate());
            for (Mutation m : FsRecord.readMutations(body)) {
                String what = describe(m, ino);
                if (what != null) {
                    t.by(h, what);
                }
            }
        }
        return t;
    }

    private static String describe(Mutation m, long ino) {
        if (m instanceof Mutation.PutInode p && p.inode().ino() == ino) {
            return "setattr";
        } else if (m instanceof Mutation.Truncate tr && tr.ino() == ino) {
            return "truncate";
        } else if (m instanceof Mutation.PutDentry d && d.child() == ino) {
            return "link";
        } else if (m instanceof Mutation.SetXattrs x && x.ino() == ino) {
            return "xattr";
        } else if (m instanceof Mutation.DeleteInode d && d.ino() == ino) {
            return "unlink";
        }
        return null;
    }

    @Override
    public void close() {
        index.closeQuietly();
    }
}
