package org.pacsfs.core.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * The materialized state of the filesystem in persisted Chronicle Map files (one per kind of key), and the one
 * place that applies logged changes to it ({@link #apply}, {@link #applyWrite}). The live path and recovery call the
 * same methods with the same records, so the state after replay equals the state before the crash.
 *
 * <p>Derived state that no record carries is computed here deterministically: directory listing cookies
 * ({@code dirlist}, {@code dirmeta}), the orphan set (files with nlink 0), and the counters (bytes stored, inode
 * count, highest inode number).
 *
 * <p>Thread-safety: each map operation is atomic; callers serialize changes to one inode or directory with their
 * locks (LocalFileSystem), which is also what makes the live apply order equal the log order for every key.
 */
final class LocalIndex implements AutoCloseable {
    static final String[] FILES = {"inodes.cm", "dentries.cm", "dirlist.cm", "dirmeta.cm", "extents.cm", "xattrs.cm", "chunks.cm"};
    /** A directory whose listing has more holes than this and than live entries is renumbered. */
    private static final int COMPACT_MIN_HOLES = 64;

    private final Path dir;
    private final ChronicleMap<Long, byte[]> inodes;
    private final ChronicleMap<byte[], byte[]> dentries;
    private final ChronicleMap<byte[], byte[]> dirlist;
    private final ChronicleMap<Long, byte[]> dirmeta;
    private final ChronicleMap<byte[], byte[]> extents;
    private final ChronicleMap<Long, byte[]> xattrs;
    private final ChronicleMap<byte[], byte[]> chunks;
    private final Set<Long> orphans = ConcurrentHashMap.newKeySet();
    /**
     * Keys changed since the last checkpoint (checkpoint key encoding, see {@link CheckpointKeys}); only tracked for a
     * filesystem with a bucket (a local-only one never checkpoints, and the set would only grow).
     */
    private volatile Set<CheckpointKeys.Key> dirty = new NoSet();
    final AtomicLong bytesStored = new AtomicLong();
    final AtomicLong inodeCount = new AtomicLong();
    final AtomicLong maxIno = new AtomicLong();
    final long capacityEntries;

    private LocalIndex(Path dir, IndexSizing sizing) throws IOException {
        this.dir = dir;
        this.capacityEntries = sizing.maxFiles();
        inodes = longMap("inodes", sizing, 96).createPersistedTo(file(0));
        dentries = bytesMap("dentries", sizing, 40, 17, 1).createPersistedTo(file(1));
        dirlist = bytesMap("dirlist", sizing, 16, 57, 1).createPersistedTo(file(2));
        dirmeta = longMap("dirmeta", sizing, 16).createPersistedTo(file(3));
        extents = bytesMap("extents", sizing, 16, 3 + 2 * Extent.ENCODED_SIZE, 2).createPersistedTo(file(4));
        xattrs = longMap("xattrs", sizing, 64).createPersistedTo(file(5));
        chunks = bytesMap("chunks", sizing, 16, 96, 1).createPersistedTo(file(6));
    }

    /** Opens the index files in {@code dir} as they are (trusted after a clean shutdown). */
    static LocalIndex open(Path dir, IndexSizing sizing, CleanMarker marker) throws IOException {
        Files.createDirectories(dir);
        LocalIndex idx = new LocalIndex(dir, sizing);
        idx.bytesStored.set(marker.bytesStored());
        idx.inodeCount.set(marker.inodeCount());
        idx.maxIno.set(marker.maxIno());
        return idx;
    }

    /** Deletes any index files in {@code dir} and creates empty ones (to be rebuilt by replay). */
    static LocalIndex createEmpty(Path dir, IndexSizing sizing) throws IOException {
        Files.createDirectories(dir);
        for (String f : FILES) {
            Files.deleteIfExists(dir.resolve(f));
        }
        return new LocalIndex(dir, sizing);
    }

    private java.io.File file(int i) {
        return dir.resolve(FILES[i]).toFile();
    }

    private static ChronicleMapBuilder<Long, byte[]> longMap(String name, IndexSizing s, int avgValue) {
        return ChronicleMap.of(Long.class, byte[].class).name(name).entries(s.expectedFiles())
                .maxBloatFactor(s.bloatFactor()).averageValueSize(avgValue).skipCloseOnExitHook(true);
    }

    private static ChronicleMapBuilder<byte[], byte[]> bytesMap(String name, IndexSizing s, int avgKey, int avgValue, int perFile) {
        // skipCloseOnExitHook: Chronicle's own shutdown hook would close the maps while a SIGTERM'd mount still drains
        // its write-log to S3 (and updates the index); the filesystem closes them itself, last.
        return ChronicleMap.of(byte[].class, byte[].class).name(name).entries(s.expectedFiles() * perFile)
                .maxBloatFactor(s.bloatFactor()).averageKeySize(avgKey).averageValueSize(avgValue).skipCloseOnExitHook(true);
    }

    // ---- reads ----

    Inode inode(long ino) {
        byte[] b = inodes.get(ino);
        return b == null ? null : Inode.fromBytes(b);
    }

    /** The entry {@code name} in {@code parent}, or null. */
    PathCache.Child lookup(long parent, String name) {
        byte[] v = dentries.get(dentryKey(parent, name));
        if (v == null) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(v);
        return new PathCache.Child(b.getLong(), FileType.fromCode(b.get()));
    }

    ExtentList extents(long ino, long block) {
        return ExtentList.fromBytes(extents.get(blockKey(ino, block)));
    }

    Xattrs xattrs(long ino) {
        return Xattrs.fromBytes(xattrs.get(ino));
    }

    boolean isEmptyDir(long ino) {
        return dirMeta(ino)[1] == 0;
    }

    Set<Long> orphans() {
        return Set.copyOf(orphans);
    }

    /** The entries of a directory in cookie order (without "." and ".."). */
    List<DirEntry> list(long dirIno) {
        long next = dirMeta(dirIno)[0];
        List<DirEntry> out = new ArrayList<>();
        for (long c = 0; c < next; c++) {
            byte[] v = dirlist.get(cookieKey(dirIno, c));
            if (v != null) {
                out.add(decodeListing(v, 0));
            }
        }
        return out;
    }

    // ---- the applier ----

    /** Applies the mutations of one record with LSN {@code lsn}, in order. */
    void apply(List<Mutation> ms, long lsn) {
        for (Mutation m : ms) {
            if (m instanceof Mutation.PutInode p) {
                putInode(p.inode().withLsn(lsn));
            } else if (m instanceof Mutation.DeleteInode d) {
                deleteInode(d.ino());
            } else if (m instanceof Mutation.PutDentry p) {
                putDentry(p);
            } else if (m instanceof Mutation.DeleteDentry d) {
                deleteDentry(d.parent(), d.name());
            } else if (m instanceof Mutation.Truncate t) {
                truncateData(t.ino(), t.size());
            } else if (m instanceof Mutation.SetXattrs x) {
                dirty.add(CheckpointKeys.xattrs(x.ino()));
                if (x.blob().length == 0) {
                    xattrs.remove(x.ino());
                } else {
                    xattrs.put(x.ino(), x.blob());
                }
            }
        }
    }

    /**
     * Applies a data write whose record is at {@code segmentId}/{@code position} with LSN {@code lsn}.
     *
     * @return the number of the first block it touched that now holds more than {@link ExtentList#MAX_EXTENTS}
     *         extents, or -1
     */
    long applyWrite(FsRecord.Write w, long segmentId, long position, long lsn) {
        return applyData(w, Extent.SOURCE_WAL, segmentId, position, lsn, w.dataOffset(), lsn);
    }

    /** Applies a shipped write whose bytes are at {@code chunkOffset} of chunk ({@code idHi}, {@code idLo}). */
    void applyChunkWrite(FsRecord.Write w, long idHi, long idLo, int chunkOffset) {
        applyData(w, Extent.SOURCE_CHUNK, idHi, idLo, 0, chunkOffset, 0);
    }

    private long applyData(FsRecord.Write w, byte source, long a, long b, long extentLsn, int base, long inodeLsn) {
        long off = w.offset();
        long fragmented = -1;
        int done = 0;
        while (done < w.length()) {
            long block = (off + done) >>> ExtentList.BLOCK_SHIFT;
            int inBlock = (int) ((off + done) & (ExtentList.BLOCK_SIZE - 1));
            int n = Math.min(w.length() - done, ExtentList.BLOCK_SIZE - inBlock);
            Extent e = new Extent(inBlock, n, source, a, b, extentLsn, base + done);
            byte[] key = blockKey(w.inode().ino(), block);
            dirty.add(CheckpointKeys.block(key));
            ExtentList list = ExtentList.fromBytes(extents.get(key)).overwrite(e);
            extents.put(key, list.toBytes());
            if (list.size() > ExtentList.MAX_EXTENTS && fragmented < 0) {
                fragmented = block;
            }
            done += n;
        }
        putInode(w.inode().withLsn(inodeLsn));
        return fragmented;
    }

    /**
     * After the write with LSN {@code lsn} (data at {@code dataOffset} of its record) was shipped to chunk
     * ({@code idHi}, {@code idLo}) at {@code chunkOffset}: the extents still pointing at that record now point at
     * the chunk, so the record can be released. Extents since overwritten or truncated are left alone.
     * Caller holds the inode's write lock.
     */
    void repoint(long ino, long fileOffset, int length, long lsn, int dataOffset, long idHi, long idLo, int chunkOffset) {
        long firstBlock = fileOffset >>> ExtentList.BLOCK_SHIFT;
        long lastBlock = (fileOffset + length - 1) >>> ExtentList.BLOCK_SHIFT;
        for (long block = firstBlock; length > 0 && block <= lastBlock; block++) {
            byte[] key = blockKey(ino, block);
            byte[] v = repointed(extents.get(key), lsn, dataOffset, idHi, idLo, chunkOffset);
            if (v != null) {
                dirty.add(CheckpointKeys.block(key));
                extents.put(key, v);
            }
        }
    }

    /**
     * One block's extent list ({@code v}, encoded) with the extents of write-log record {@code lsn} pointed at the
     * chunk, or null if none points at that record. Shared with {@link CheckpointCapture}, which must move its copy
     * of a block exactly as the index moves the block.
     */
    static byte[] repointed(byte[] v, long lsn, int dataOffset, long idHi, long idLo, int chunkOffset) {
        if (v == null) {
            return null;
        }
        List<Extent> out = new ArrayList<>();
        boolean changed = false;
        for (Extent x : ExtentList.fromBytes(v).extents()) {
            if (x.source() == Extent.SOURCE_WAL && x.lsn() == lsn) {
                out.add(new Extent(x.start(), x.length(), Extent.SOURCE_CHUNK, idHi, idLo, 0, chunkOffset + (x.payloadOffset() - dataOffset)));
                changed = true;
            } else {
                out.add(x);
            }
        }
        return changed ? new ExtentList(out).toBytes() : null;
    }

    /**
     * A tail rewrite: bytes [{@code offset}, +{@code length}) of the file are also at {@code chunkOffset} of chunk
     * ({@code idHi}, {@code idLo}). Replay ({@code onlyFrom} null) points the whole range there; the live flusher
     * passes the chunks it copied the bytes from, and only extents still pointing into those are moved (anything
     * written since is newer and stays).
     */
    void applyRewrite(long ino, long offset, int length, long idHi, long idLo, int chunkOffset, java.util.Set<List<Long>> onlyFrom) {
        if (inodes.get(ino) == null) {
            return;
        }
        int done = 0;
        while (done < length) {
            long block = (offset + done) >>> ExtentList.BLOCK_SHIFT;
            int inBlock = (int) ((offset + done) & (ExtentList.BLOCK_SIZE - 1));
            int n = Math.min(length - done, ExtentList.BLOCK_SIZE - inBlock);
            byte[] key = blockKey(ino, block);
            Extent moved = new Extent(inBlock, n, Extent.SOURCE_CHUNK, idHi, idLo, 0, chunkOffset + done);
            dirty.add(CheckpointKeys.block(key));
            extents.put(key, rewritten(ExtentList.fromBytes(extents.get(key)), moved, onlyFrom).toBytes());
            done += n;
        }
    }

    /** One block's part of {@link #applyRewrite}; shared with {@link CheckpointCapture}. */
    static ExtentList rewritten(ExtentList list, Extent moved, java.util.Set<List<Long>> onlyFrom) {
        if (onlyFrom == null) {
            return list.overwrite(moved);
        }
        for (Extent x : list.within(moved.start(), moved.end())) {
            if (x.source() == Extent.SOURCE_CHUNK && onlyFrom.contains(List.of(x.segmentId(), x.position()))) {
                list = list.overwrite(moved.slice(x.start(), x.end()));
            }
        }
        return list;
    }

    /**
     * The chunk extents that end exactly at {@code end} of the file, walking back while they are contiguous and
     * together shorter than {@code limit} bytes (the small tail a growing file left in earlier chunks). Empty if
     * the bytes before {@code end} are a hole, unshipped, or part of a piece of {@code limit} bytes or more.
     */
    List<long[]> chunkTail(long ino, long end, int limit) {
        List<long[]> out = new ArrayList<>();
        long pos = end;
        long total = 0;
        while (pos > 0) {
            long block = (pos - 1) >>> ExtentList.BLOCK_SHIFT;
            List<Extent> list = ExtentList.fromBytes(extents.get(blockKey(ino, block))).extents();
            long blockStart = block << ExtentList.BLOCK_SHIFT;
            Extent last = null;
            for (Extent x : list) {
                if (blockStart + x.end() == pos) {
                    last = x;
                }
            }
            if (last == null || last.source() != Extent.SOURCE_CHUNK || total + last.length() >= limit) {
                break;
            }
            out.add(0, new long[] {blockStart + last.start(), last.length(), last.segmentId(), last.position(), last.payloadOffset()});
            total += last.length();
            pos = blockStart + last.start();
        }
        return total >= limit ? List.of() : out;
    }

    /** The distinct chunks the file's extents point at, as (high, low) id pairs. */
    java.util.Set<List<Long>> chunksOf(long ino) {
        Inode in = inode(ino);
        java.util.Set<List<Long>> out = new java.util.HashSet<>();
        if (in == null || in.size() == 0) {
            return out;
        }
        for (long b = 0; b <= (in.size() - 1) >>> ExtentList.BLOCK_SHIFT; b++) {
            for (Extent x : extents(ino, b).extents()) {
                if (x.source() == Extent.SOURCE_CHUNK) {
                    out.add(List.of(x.segmentId(), x.position()));
                }
            }
        }
        return out;
    }

    void putChunkRef(long idHi, long idLo, byte[] ref) {
        chunks.put(chunkKey(idHi, idLo), ref);
    }

    // ---- checkpoints ----

    /** Starts tracking changed keys for checkpoints; what was tracked so far (a checkpoint just loaded) is dropped. */
    void trackChanges() {
        dirty = ConcurrentHashMap.newKeySet();
    }

    /** A set that keeps nothing: changes are not tracked until {@link #trackChanges()}. */
    private static final class NoSet extends java.util.AbstractSet<CheckpointKeys.Key> {
        @Override
        public boolean add(CheckpointKeys.Key k) {
            return false;
        }

        @Override
        public java.util.Iterator<CheckpointKeys.Key> iterator() {
            return java.util.Collections.emptyIterator();
        }

        @Override
        public int size() {
            return 0;
        }
    }

    /** Takes the set of keys changed since the last call (the caller holds the gate closed). */
    Set<CheckpointKeys.Key> takeDirty() {
        Set<CheckpointKeys.Key> d = dirty;
        dirty = ConcurrentHashMap.newKeySet();
        return d;
    }

    /** Puts back keys whose checkpoint could not be written, so the next one includes them. */
    void restoreDirty(Set<CheckpointKeys.Key> keys) {
        dirty.addAll(keys);
    }

    /** The current value of a checkpoint key, or null if absent. */
    byte[] valueOf(CheckpointKeys.Key k) {
        ByteBuffer b = ByteBuffer.wrap(k.bytes(), 1, k.bytes().length - 1);
        switch (k.kind()) {
            case CheckpointKeys.INODE:
                return inodes.get(b.getLong());
            case CheckpointKeys.XATTRS:
                return xattrs.get(b.getLong());
            case CheckpointKeys.DENTRY:
                return dentries.get(java.util.Arrays.copyOfRange(k.bytes(), 1, k.bytes().length));
            case CheckpointKeys.BLOCK:
                return extents.get(java.util.Arrays.copyOfRange(k.bytes(), 1, k.bytes().length));
            case CheckpointKeys.CHUNK:
                return chunks.get(java.util.Arrays.copyOfRange(k.bytes(), 1, k.bytes().length));
            default:
                throw new IllegalArgumentException("unknown checkpoint key kind " + k.kind());
        }
    }

    /** Loads one checkpoint entry ({@code value} null = deleted). Counters follow; cookies are assigned anew. */
    void load(CheckpointKeys.Key k, byte[] value) {
        byte[] rest = java.util.Arrays.copyOfRange(k.bytes(), 1, k.bytes().length);
        switch (k.kind()) {
            case CheckpointKeys.INODE -> {
                if (value == null) {
                    deleteInodeOnly(ByteBuffer.wrap(rest).getLong());
                } else {
                    putInode(Inode.fromBytes(value));
                }
            }
            case CheckpointKeys.XATTRS -> {
                if (value == null) {
                    xattrs.remove(ByteBuffer.wrap(rest).getLong());
                } else {
                    xattrs.put(ByteBuffer.wrap(rest).getLong(), value);
                }
            }
            case CheckpointKeys.DENTRY -> {
                ByteBuffer b = ByteBuffer.wrap(rest);
                long parent = b.getLong();
                String name = new String(rest, 8, rest.length - 8, StandardCharsets.UTF_8);
                if (value == null) {
                    deleteDentry(parent, name);
                } else {
                    ByteBuffer v = ByteBuffer.wrap(value);
                    putDentry(new Mutation.PutDentry(parent, name, v.getLong(), FileType.fromCode(v.get())));
                }
            }
            case CheckpointKeys.BLOCK -> {
                if (value == null) {
                    extents.remove(rest);
                } else {
                    extents.put(rest, value);
                }
            }
            case CheckpointKeys.CHUNK -> {
                if (value != null) {
                    chunks.put(rest, value);
                }
            }
            default -> throw new IllegalArgumentException("unknown checkpoint key kind " + k.kind());
        }
    }

    private void deleteInodeOnly(long ino) {
        byte[] old = inodes.remove(ino);
        orphans.remove(ino);
        if (old != null) {
            Inode prev = Inode.fromBytes(old);
            inodeCount.decrementAndGet();
            if (prev.type() == FileType.REGULAR) {
                bytesStored.addAndGet(-prev.size());
            }
            if (prev.isDir()) {
                dirmeta.remove(ino);
            }
        }
    }

    /** Every key of the index that a full checkpoint holds (inodes, entries, blocks, xattrs, referenced chunks). */
    void forEachKey(java.util.function.Consumer<CheckpointKeys.Key> out) {
        inodes.keySet().forEach(ino -> out.accept(CheckpointKeys.inode(ino)));
        xattrs.keySet().forEach(ino -> out.accept(CheckpointKeys.xattrs(ino)));
        dentries.keySet().forEach(k -> out.accept(CheckpointKeys.dentry(k)));
        extents.keySet().forEach(k -> out.accept(CheckpointKeys.block(k)));
    }

    byte[] chunkRef(long idHi, long idLo) {
        return chunks.get(chunkKey(idHi, idLo));
    }

    private static byte[] chunkKey(long hi, long lo) {
        return ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
    }

    private void putInode(Inode in) {
        dirty.add(CheckpointKeys.inode(in.ino()));
        byte[] old = inodes.put(in.ino(), in.toBytes());
        Inode prev = old == null ? null : Inode.fromBytes(old);
        if (prev == null) {
            inodeCount.incrementAndGet();
            maxIno.accumulateAndGet(in.ino(), Math::max);
        }
        if (in.type() == FileType.REGULAR) {
            bytesStored.addAndGet(in.size() - (prev == null ? 0 : prev.size()));
        }
        if (in.nlink() == 0 && !in.isDir()) {
            orphans.add(in.ino());
        } else {
            orphans.remove(in.ino());
        }
    }

    private void deleteInode(long ino) {
        dirty.add(CheckpointKeys.inode(ino));
        dirty.add(CheckpointKeys.xattrs(ino));
        byte[] old = inodes.remove(ino);
        orphans.remove(ino);
        if (old == null) {
            return;
        }
        Inode prev = Inode.fromBytes(old);
        inodeCount.decrementAndGet();
        if (prev.type() == FileType.REGULAR) {
            bytesStored.addAndGet(-prev.size());
            dropBlocks(ino, 0, prev.size());
        }
        if (prev.isDir()) {
            dirmeta.remove(ino);
        }
        xattrs.remove(ino);
    }

    private void truncateData(long ino, long size) {
        Inode cur = inode(ino);
        if (cur == null) {
            return;
        }
        long firstWhole = (size + ExtentList.BLOCK_SIZE - 1) >>> ExtentList.BLOCK_SHIFT;
        if ((size & (ExtentList.BLOCK_SIZE - 1)) != 0) {
            byte[] key = blockKey(ino, size >>> ExtentList.BLOCK_SHIFT);
            dirty.add(CheckpointKeys.block(key));
            byte[] v = extents.get(key);
            if (v != null) {
                extents.put(key, ExtentList.fromBytes(v).truncate((int) (size & (ExtentList.BLOCK_SIZE - 1))).toBytes());
            }
        }
        dropBlocks(ino, firstWhole << ExtentList.BLOCK_SHIFT, cur.size());
    }

    /** Removes the blocks from the one starting at {@code from} (block-aligned) to the one holding {@code size - 1}. */
    private void dropBlocks(long ino, long from, long size) {
        long last = (size - 1) >>> ExtentList.BLOCK_SHIFT;
        for (long b = from >>> ExtentList.BLOCK_SHIFT; size > 0 && b <= last; b++) {
            byte[] key = blockKey(ino, b);
            if (extents.remove(key) != null) {
                dirty.add(CheckpointKeys.block(key));
            }
        }
    }

    private void putDentry(Mutation.PutDentry p) {
        byte[] key = dentryKey(p.parent(), p.name());
        dirty.add(CheckpointKeys.dentry(key));
        byte[] old = dentries.get(key);
        long cookie;
        if (old != null) {
            cookie = ByteBuffer.wrap(old).getLong(9);
        } else {
            long[] meta = dirMeta(p.parent());
            cookie = meta[0];
            putDirMeta(p.parent(), meta[0] + 1, meta[1] + 1);
        }
        dentries.put(key, ByteBuffer.allocate(17).putLong(p.child()).put((byte) p.type().ordinal()).putLong(cookie).array());
        dirlist.put(cookieKey(p.parent(), cookie), encodeListing(p.child(), p.type(), p.name()));
    }

    private void deleteDentry(long parent, String name) {
        dirty.add(CheckpointKeys.dentry(dentryKey(parent, name)));
        byte[] old = dentries.remove(dentryKey(parent, name));
        if (old == null) {
            return;
        }
        dirlist.remove(cookieKey(parent, ByteBuffer.wrap(old).getLong(9)));
        long[] meta = dirMeta(parent);
        long live = meta[1] - 1;
        long holes = meta[0] - live;
        if (holes > COMPACT_MIN_HOLES && holes > live) {
            renumber(parent, meta[0], live);
        } else {
            putDirMeta(parent, meta[0], live);
        }
    }

    /** Gives the live entries of a directory the cookies 0..live-1 (keeps readdir cost proportional to entries). */
    private void renumber(long parent, long next, long live) {
        long c2 = 0;
        for (long c = 0; c < next; c++) {
            byte[] v = dirlist.remove(cookieKey(parent, c));
            if (v == null) {
                continue;
            }
            DirEntry e = decodeListing(v, 0);
            dirlist.put(cookieKey(parent, c2), v);
            dentries.put(dentryKey(parent, e.name()), ByteBuffer.allocate(17).putLong(e.ino()).put((byte) e.type().ordinal()).putLong(c2).array());
            c2++;
        }
        putDirMeta(parent, c2, live);
    }

    private long[] dirMeta(long dirIno) {
        byte[] v = dirmeta.get(dirIno);
        if (v == null) {
            return new long[] {0, 0};
        }
        ByteBuffer b = ByteBuffer.wrap(v);
        return new long[] {b.getLong(), b.getLong()};
    }

    private void putDirMeta(long dirIno, long next, long live) {
        dirmeta.put(dirIno, ByteBuffer.allocate(16).putLong(next).putLong(live).array());
    }

    // ---- keys ----

    private static byte[] dentryKey(long parent, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + n.length).putLong(parent).put(n).array();
    }

    private static byte[] cookieKey(long dirIno, long cookie) {
        return ByteBuffer.allocate(16).putLong(dirIno).putLong(cookie).array();
    }

    static byte[] blockKey(long ino, long block) {
        return ByteBuffer.allocate(16).putLong(ino).putLong(block).array();
    }

    private static byte[] encodeListing(long child, FileType type, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(9 + n.length).putLong(child).put((byte) type.ordinal()).put(n).array();
    }

    private static DirEntry decodeListing(byte[] v, long nextOffset) {
        ByteBuffer b = ByteBuffer.wrap(v);
        long child = b.getLong();
        FileType type = FileType.fromCode(b.get());
        return new DirEntry(new String(v, 9, v.length - 9, StandardCharsets.UTF_8), child, type, nextOffset);
    }

    // ---- lifecycle ----

    /** Closes the maps and forces their files, so that a clean marker written next describes what is on disk. */
    void closeAndForce() throws IOException {
        closeQuietly();
        for (String f : FILES) {
            try (FileChannel ch = FileChannel.open(dir.resolve(f), StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
    }

    /** Closes the maps without forcing anything (a crash, or before a rebuild). */
    void closeQuietly() {
        for (ChronicleMap<?, ?> m : List.of(inodes, dentries, dirlist, dirmeta, extents, xattrs, chunks)) {
            if (m.isOpen()) {
                m.close();
            }
        }
    }

    @Override
    public void close() throws IOException {
        closeAndForce();
    }
}
