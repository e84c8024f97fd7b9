package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkCodec;
import org.pacsfs.core.bucket.ChunkCorruptException;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;

/** Helpers shared by the shipping tests: content patterns, tree snapshots, and an independent reader of the bucket's log. */
final class ShipTestSupport {
    static final int W = OpenFlags.O_RDWR | OpenFlags.O_CREAT;

    private ShipTestSupport() {
    }

    // ------------------------------------------------------------------ content

    /** The byte every writer of file {@code id} puts at {@code offset}: any prefix of a file is recognisable, misplaced bytes are not. */
    static byte patternByte(long id, long offset) {
        long v = mix(id * 0x9E3779B97F4A7C15L + (offset >>> 3));
        return (byte) (v >>> ((offset & 7) * 8));
    }

    static byte[] pattern(long id, long offset, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = patternByte(id, offset + i);
        }
        return b;
    }

    /** -1 if {@code data} is exactly pattern(id, 0, data.length), else the first offset that differs. */
    static long firstMismatch(long id, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            if (data[i] != patternByte(id, i)) {
                return i;
            }
        }
        return -1;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ------------------------------------------------------------------ filesystem

    static byte[] readAll(FileSystem fs, String path) throws FsException {
        long fh = fs.open(path, OpenFlags.O_RDONLY);
        try {
            long size = fs.getattr(fh).size();
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining()) {
                int n = fs.read(fh, b.position(), b);
                if (n <= 0) {
                    throw new AssertionError(path + ": read returned " + n + " at " + b.position() + " of " + size);
                }
            }
            return b.array();
        } finally {
            fs.release(fh);
        }
    }

    static void writeFile(FileSystem fs, String path, byte[] data, int piece) throws FsException {
        long fh = fs.create(path, 0644, W, Caller.ROOT);
        for (int off = 0; off < data.length; off += piece) {
            fs.write(fh, off, ByteBuffer.wrap(data, off, Math.min(piece, data.length - off)));
        }
        fs.release(fh);
    }

    /** path -> "d" / "l target" / "f size sha256" for the whole tree (including xattrs of files). */
    static SortedMap<String, String> snapshot(FileSystem fs) throws FsException {
        SortedMap<String, String> out = new TreeMap<>();
        walk(fs, "/", out);
        return out;
    }

    private static void walk(FileSystem fs, String dir, SortedMap<String, String> out) throws FsException {
        long dh = fs.opendir(dir);
        List<DirEntry> entries = new ArrayList<>();
        try {
            long off = 0;
            while (true) {
                List<DirEntry> page = fs.readdir(dh, off, 1000);
                if (page.isEmpty()) {
                    break;
                }
                entries.addAll(page);
                off = page.get(page.size() - 1).nextOffset();
            }
        } finally {
            fs.releasedir(dh);
        }
        for (DirEntry e : entries) {
            if (e.name().equals(".") || e.name().equals("..")) {
                continue;
            }
            String path = dir.equals("/") ? "/" + e.name() : dir + "/" + e.name();
            switch (e.type()) {
                case DIRECTORY -> {
                    out.put(path, "d");
                    walk(fs, path, out);
                }
                case SYMLINK -> out.put(path, "l " + fs.readlink(path));
                case REGULAR -> {
                    byte[] data = readAll(fs, path);
                    out.put(path, "f " + data.length + " " + sha256(data) + " xattrs " + fs.listxattr(path));
                }
                default -> out.put(path, String.valueOf(e.type()));
            }
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ the bucket's metadata log, read independently

    /**
     * Reads the metadata log of a bucket incrementally (segments are immutable: each is read once) and checks what
     * must always hold of it, whatever crashed when: segment numbers without gaps from 1, an unbroken hash chain,
     * each segment's operations exactly its LSN range, the LSN ranges shipped from one write-log contiguous (never
     * overlapping: nothing shipped twice, never skipping: nothing lost), every referenced chunk present (a segment
     * is written only after its chunks) and referenced by one segment only.
     */
    static final class LogInspector {
        private final ObjectStore store;
        private final BucketKeys keys;
        private final List<MetaSegment> segments = new ArrayList<>();
        private final Map<UUID, Long> lastLsnByWal = new HashMap<>();
        private final Map<String, Long> chunkOwner = new HashMap<>();
        private byte[] prevSha = MetaSegment.NO_PREDECESSOR;

        LogInspector(ObjectStore store, String prefix) {
            this.store = store;
            this.keys = BucketKeys.under(prefix);
        }

        /** Reads the segments written since the last call and checks them; returns how many there are in all. */
        int check() {
            List<Long> seqs = new ArrayList<>();
            store.listAll(keys.logPrefix()).map(ObjectInfo::key).forEach(k -> seqs.add(keys.parseLogSeq(k)));
            seqs.sort(Long::compare);
            for (int i = 0; i < seqs.size(); i++) {
                if (seqs.get(i) != i + 1) {
                    throw new AssertionError("metadata log has a gap: position " + (i + 1) + " holds segment " + seqs.get(i) + " (all: " + seqs + ")");
                }
            }
            for (long seq = segments.size() + 1; seq <= seqs.size(); seq++) {
                String key = keys.logSegment(seq);
                byte[] bytes = store.get(key).bytes();
                MetaSegment seg = MetaSegment.decode(bytes, key);
                if (seg.seq() != seq) {
                    throw new AssertionError(key + " says it is segment " + seg.seq());
                }
                if (!java.util.Arrays.equals(seg.prevSha256(), prevSha)) {
                    throw new AssertionError("hash chain broken at " + key);
                }
                long logged = seg.ops().stream().filter(op -> op.type() != MetaSegment.OP_CHUNK_REWRITE).count();
                if (seg.walLsnLast() < seg.walLsnFirst() || logged != seg.walLsnLast() - seg.walLsnFirst() + 1) {
                    throw new AssertionError(key + " covers LSN " + seg.walLsnFirst() + ".." + seg.walLsnLast() + " with "
                            + logged + " logged operations (one per write-log record expected): " + describe(seg)
                            + "; earlier segments: " + history());
                }
                Long prevLast = lastLsnByWal.get(seg.walId());
                if (prevLast != null && seg.walLsnFirst() != prevLast + 1) {
                    throw new AssertionError(key + " ships LSN " + seg.walLsnFirst() + ".." + seg.walLsnLast() + " of write-log "
                            + seg.walId() + " but the previous segment of that write-log ended at " + prevLast
                            + (seg.walLsnFirst() <= prevLast ? " (shipped twice)" : " (records skipped)"));
                }
                lastLsnByWal.put(seg.walId(), seg.walLsnLast());
                for (byte[] ref : seg.chunkRefs()) {
                    String chunkKey = keys.chunk(ChunkRef.decode(ByteBuffer.wrap(ref)).id());
                    Long owner = chunkOwner.putIfAbsent(chunkKey, seq);
                    if (owner != null) {
                        throw new AssertionError(chunkKey + " is referenced by segments " + owner + " and " + seq);
                    }
                    if (store.head(chunkKey).isEmpty()) {
                        throw new AssertionError(key + " references " + chunkKey + ", which is not in the bucket");
                    }
                }
                segments.add(seg);
                prevSha = MetaSegment.sha256(bytes);
            }
            return segments.size();
        }

        private String history() {
            StringBuilder b = new StringBuilder();
            for (MetaSegment s : segments) {
                b.append("\n  ").append(s.seq()).append(": wal ").append(s.walId().toString(), 0, 8).append(" LSN ")
                        .append(s.walLsnFirst()).append("..").append(s.walLsnLast()).append(' ').append(describe(s));
            }
            return b.toString();
        }

        /** The operations of a segment: type and a short hash of the body (equal bodies: the same record twice). */
        static String describe(MetaSegment s) {
            StringBuilder b = new StringBuilder("[");
            for (MetaSegment.Op op : s.ops()) {
                b.append(op.type() == MetaSegment.OP_MUTATIONS ? "M" : op.type() == MetaSegment.OP_CHUNK_WRITE ? "W" : "R").append(sha256(op.body()), 0, 6).append(' ');
            }
            return b.append(']').toString();
        }

        List<MetaSegment> segments() {
            return segments;
        }

        /** Chunk objects in the bucket that no committed segment references (uploads of batches cut short). */
        long unreferencedChunks() {
            return store.listAll(keys.chunksPrefix()).map(ObjectInfo::key).filter(k -> !chunkOwner.containsKey(k)).count();
        }

        /**
         * The contents of file {@code ino} as the committed log alone describes it (writes only: for files written
         * once or appended, never truncated), read from the chunk objects and verified.
         */
        byte[] fileFromLog(long ino) throws ChunkCorruptException {
            ChunkCodec codec = new ChunkCodec();
            ByteBuffer out = ByteBuffer.allocate(64 << 20);
            int size = 0;
            for (MetaSegment seg : segments) {
                // a tail rewrite holds bytes as of the start of its segment: apply those before the segment's writes
                for (boolean rewrites : new boolean[] {true, false}) {
                    for (MetaSegment.Op op : seg.ops()) {
                        long opIno;
                        long offset;
                        int length;
                        if (rewrites && op.type() == MetaSegment.OP_CHUNK_REWRITE) {
                            ByteBuffer body = ByteBuffer.wrap(op.body());
                            opIno = body.getLong();
                            offset = body.getLong();
                            length = body.getInt();
                        } else if (!rewrites && op.type() == MetaSegment.OP_CHUNK_WRITE) {
                            FsRecord.Write w = FsRecord.readWriteHeader(ByteBuffer.wrap(op.body()));
                            opIno = w.inode().ino();
                            offset = w.offset();
                            length = w.length();
                        } else {
                            continue;
                        }
                        if (opIno != ino) {
                            continue;
                        }
                        ChunkRef ref = ChunkRef.decode(ByteBuffer.wrap(seg.chunkRefs().get(op.chunkIndex())));
                        ByteBuffer chunk = codec.decode(ref, ByteBuffer.wrap(store.get(keys.chunk(ref.id())).bytes()));
                        byte[] piece = new byte[length];
                        chunk.duplicate().position(op.chunkOffset()).get(piece);
                        out.put((int) offset, piece);
                        size = (int) Math.max(size, offset + length);
                    }
                }
            }
            byte[] b = new byte[size];
            out.get(0, b);
            return b;
        }
    }
}
