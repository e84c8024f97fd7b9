package org.pacsfs.core.bucket;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import org.pacsfs.core.store.ObjectKeys;

/**
 * The one place that builds the object keys of a filesystem. Every key is {@code prefix + layout}:
 *
 * <pre>
 * &lt;prefix&gt;pacsfs.json                         superblock
 * &lt;prefix&gt;chunks/&lt;xx&gt;/&lt;chunk id&gt;                chunk objects; xx = first byte of SHA-256(id bytes), 2 hex
 * &lt;prefix&gt;log/&lt;seq, 20 digits&gt;                  metadata log segments
 * &lt;prefix&gt;checkpoints/&lt;seq, 20 digits&gt;/&lt;part&gt;   checkpoint parts
 * &lt;prefix&gt;lease                               single-writer lease
 * &lt;prefix&gt;gc/&lt;run&gt;/&lt;part, 8 digits&gt;          GC records (what a GC run removed)
 * &lt;prefix&gt;logbase/&lt;seq, 20 digits&gt;        log bases (where the log begins after gc pruned it)
 * &lt;prefix&gt;audit/&lt;stream&gt;/&lt;seq, 20 digits&gt;      encrypted access-audit segments (docs/AUDIT.md)
 * </pre>
 *
 * <p>The prefix is relative to the store (a store that itself lives under a bucket prefix adds that
 * one on its own). It is either {@code ""} or one or more non-empty {@code /}-separated segments
 * ending in {@code /}; a prefix given without the trailing {@code /} gets one. Sequence numbers are
 * zero-padded to 20 decimal digits so that the listing order (UTF-8 byte order) is numeric order.
 *
 * <p>Immutable and thread-safe.
 */
public final class BucketKeys {

    /** The longest prefix accepted, in UTF-8 bytes; leaves room for every key under S3's 1024-byte limit. */
    public static final int MAX_PREFIX_BYTES = 512;

    /** The longest checkpoint part name, in UTF-8 bytes. */
    public static final int MAX_PART_BYTES = 256;

    private static final String SUPERBLOCK = "pacsfs.json";
    private static final String CHUNKS = "chunks/";
    private static final String LOG = "log/";
    private static final String CHECKPOINTS = "checkpoints/";
    private static final String LEASE = "lease";
    private static final String SETTINGS = "settings.json";
    private static final String GC = "gc/";
    private static final String LOG_BASE = "logbase/";
    private static final String AUDIT = "audit/";
    private static final int SEQ_DIGITS = 20;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final String prefix;

    private BucketKeys(String prefix) {
        this.prefix = prefix;
    }

    /**
     * Keys under {@code prefix}: {@code ""} (the root of the store), {@code "a/b"} or {@code "a/b/"}.
     *
     * @throws IllegalArgumentException naming the bad value: {@code null}, a leading {@code /}, an empty,
     *     {@code .} or {@code ..} segment, a control character or backslash, or more than {@value
     *     #MAX_PREFIX_BYTES} UTF-8 bytes
     */
    public static BucketKeys under(String prefix) {
        return new BucketKeys(normalizePrefix(prefix));
    }

    /** Normalizes and validates a prefix (see {@link #under}); returns {@code ""} or a string ending in {@code /}. */
    public static String normalizePrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("the filesystem prefix must not be null; use \"\" for the root of the bucket");
        }
        if (prefix.isEmpty()) {
            return "";
        }
        if (prefix.startsWith("/")) {
            throw new IllegalArgumentException("the filesystem prefix must not start with '/': '" + prefix
                    + "' (write it relative to the bucket, e.g. 'archive/pacs1/')");
        }
        String p = prefix.endsWith("/") ? prefix : prefix + "/";
        validateSegments(p.substring(0, p.length() - 1), "the filesystem prefix", prefix);
        int bytes = ObjectKeys.utf8Length(p);
        if (bytes > MAX_PREFIX_BYTES) {
            throw new IllegalArgumentException("the filesystem prefix is " + bytes + " UTF-8 bytes, at most "
                    + MAX_PREFIX_BYTES + " are allowed: '" + prefix + "'");
        }
        return p;
    }

    private static void validateSegments(String path, String what, String original) {
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException(what + " '" + original + "' has an empty, '.' or '..' segment");
            }
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                throw new IllegalArgumentException(what + " '" + original
                        + "' contains a control character or backslash (U+" + String.format("%04X", (int) c)
                        + ") at index " + i);
            }
        }
    }

    /** The normalized prefix: {@code ""} or ending in {@code /}. */
    public String prefix() {
        return prefix;
    }

    /** {@code <prefix>pacsfs.json}. */
    public String superblock() {
        return prefix + SUPERBLOCK;
    }

    /** {@code <prefix>settings.json}: {@link FsSettings}, written once at creation. */
    public String settings() {
        return prefix + SETTINGS;
    }

    /** {@code <prefix>lease}. */
    public String lease() {
        return prefix + LEASE;
    }

    /** {@code <prefix>chunks/}: lists every chunk object. */
    public String chunksPrefix() {
        return prefix + CHUNKS;
    }

    /** {@code <prefix>chunks/<xx>/<id>}, where xx is the first byte of SHA-256 over the 16 id bytes, in lowercase hex. */
    public String chunk(ChunkId id) {
        Objects.requireNonNull(id, "id");
        return prefix + CHUNKS + shard(id) + "/" + id;
    }

    /**
     * The id of a chunk key made by {@link #chunk}.
     *
     * @throws IllegalArgumentException naming the key if it is not exactly such a key (prefix, shard included)
     */
    public ChunkId parseChunk(String key) {
        String start = prefix + CHUNKS;
        if (key == null || !key.startsWith(start) || key.length() != start.length() + 3 + ChunkId.HEX_LENGTH
                || key.charAt(start.length() + 2) != '/') {
            throw new IllegalArgumentException("not a chunk key (expected '" + start + "<xx>/<32 hex digits>'): "
                    + quoted(key));
        }
        ChunkId id;
        try {
            id = ChunkId.parse(key.substring(start.length() + 3));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a chunk key: " + quoted(key) + ": " + e.getMessage(), e);
        }
        if (!key.regionMatches(start.length(), shard(id), 0, 2)) {
            throw new IllegalArgumentException("chunk key " + quoted(key) + " is in the wrong shard, expected '"
                    + shard(id) + "'");
        }
        return id;
    }

    /** {@code <prefix>log/}: lists the metadata log segments, in sequence order. */
    public String logPrefix() {
        return prefix + LOG;
    }

    /** {@code <prefix>log/<seq zero-padded to 20 digits>}; {@code seq >= 0}. */
    public String logSegment(long seq) {
        return prefix + LOG + seq(seq);
    }

    /**
     * The sequence number of a key made by {@link #logSegment}.
     *
     * @throws IllegalArgumentException naming the key unless it is {@link #logPrefix()} followed by exactly
     *     20 decimal digits that form a value in 0..{@value Long#MAX_VALUE}
     */
    public long parseLogSeq(String key) {
        String start = logPrefix();
        if (key == null || !key.startsWith(start)) {
            throw new IllegalArgumentException("not a log segment key (expected '" + start + "' + 20 digits): "
                    + quoted(key));
        }
        return parseSeq(key, start.length(), key.length(), "log segment key");
    }

    /**
     * Whether {@code key} names an object pacsfs writes once and never changes: the superblock, the settings, chunks, log
     * segments, checkpoints, audit segments, log bases. Not the lease (rewritten) nor keys outside this layout. These are the objects a
     * WORM filesystem gives an S3 Object Lock retention (docs/HISTORY.md).
     */
    public boolean isWrittenOnce(String key) {
        return key != null && key.startsWith(prefix) && (key.equals(superblock()) || key.equals(settings())
                || key.startsWith(chunksPrefix()) || key.startsWith(logPrefix()) || key.startsWith(checkpointsPrefix())
                || key.startsWith(auditPrefix()) || key.startsWith(logBasePrefix()));
    }

    /** {@code <prefix>logbase/}: lists the log bases GC wrote when it pruned the log (docs/FORMAT.md, "log base"). */
    public String logBasePrefix() {
        return prefix + LOG_BASE;
    }

    /** {@code <prefix>logbase/<seq zero-padded to 20 digits>}: the log base whose first kept segment is {@code seq}. */
    public String logBase(long seq) {
        return prefix + LOG_BASE + seq(seq);
    }

    /**
     * The first kept segment of a key made by {@link #logBase}.
     *
     * @throws IllegalArgumentException naming the key unless it is {@link #logBasePrefix()} and exactly 20 digits
     */
    public long parseLogBaseSeq(String key) {
        String start = logBasePrefix();
        if (key == null || !key.startsWith(start)) {
            throw new IllegalArgumentException("not a log base key (expected '" + start + "' + 20 digits): " + quoted(key));
        }
        return parseSeq(key, start.length(), key.length(), "log base key");
    }

    /** {@code <prefix>audit/}: lists every access-audit stream (docs/AUDIT.md). */
    public String auditPrefix() {
        return prefix + AUDIT;
    }

    /** {@code <prefix>audit/<stream, 32 hex digits>/}: lists the segments of one audit stream. */
    public String auditStreamPrefix(String streamHex) {
        if (streamHex == null || !streamHex.matches("[0-9a-f]{32}")) {
            throw new IllegalArgumentException("an audit stream id is 32 lowercase hex digits, got " + quoted(streamHex));
        }
        return prefix + AUDIT + streamHex + "/";
    }

    /** {@code <prefix>audit/<stream, 32 hex digits>/<seq zero-padded to 20 digits>}: one audit segment. */
    public String auditSegment(String streamHex, long seq) {
        return auditStreamPrefix(streamHex) + seq(seq);
    }

    /**
     * The sequence number of a key made by {@link #auditSegment}.
     *
     * @throws IllegalArgumentException naming the key unless it is the stream's prefix followed by exactly 20 digits
     */
    public long parseAuditSeq(String streamHex, String key) {
        String start = auditStreamPrefix(streamHex);
        if (key == null || !key.startsWith(start)) {
            throw new IllegalArgumentException("not an audit segment key (expected '" + start + "' + 20 digits): " + quoted(key));
        }
        return parseSeq(key, start.length(), key.length(), "audit segment key");
    }

    /** {@code <prefix>checkpoints/}: lists every checkpoint. */
    public String checkpointsPrefix() {
        return prefix + CHECKPOINTS;
    }

    /** {@code <prefix>checkpoints/<seq 20 digits>/}: lists the parts of one checkpoint. */
    public String checkpointPrefix(long seq) {
        return prefix + CHECKPOINTS + seq(seq) + "/";
    }

    /**
     * {@code <prefix>checkpoints/<seq 20 digits>/<part>}. {@code part} is one or more non-empty
     * {@code /}-separated segments (no {@code .} or {@code ..}, no control characters or backslash),
     * at most {@value #MAX_PART_BYTES} UTF-8 bytes.
     */
    public String checkpoint(long seq, String part) {
        if (part == null || part.isEmpty()) {
            throw new IllegalArgumentException("a checkpoint part name must be non-empty, got " + quoted(part));
        }
        validateSegments(part, "checkpoint part name", part);
        int bytes = ObjectKeys.utf8Length(part);
        if (bytes > MAX_PART_BYTES) {
            throw new IllegalArgumentException("checkpoint part name is " + bytes + " UTF-8 bytes, at most "
                    + MAX_PART_BYTES + ": '" + part + "'");
        }
        return ObjectKeys.requireValid(checkpointPrefix(seq) + part);
    }

    /**
     * The checkpoint sequence number of a key made by {@link #checkpoint} or {@link #checkpointPrefix}.
     *
     * @throws IllegalArgumentException naming the key if it is not under {@code <prefix>checkpoints/<20 digits>/}
     */
    public long parseCheckpointSeq(String key) {
        String start = checkpointsPrefix();
        if (key == null || !key.startsWith(start) || key.length() < start.length() + SEQ_DIGITS + 1
                || key.charAt(start.length() + SEQ_DIGITS) != '/') {
            throw new IllegalArgumentException("not a checkpoint key (expected '" + start + "<20 digits>/...'): "
                    + quoted(key));
        }
        return parseSeq(key, start.length(), start.length() + SEQ_DIGITS, "checkpoint key");
    }

    /** {@code <prefix>gc/}: lists every GC record. */
    public String gcPrefix() {
        return prefix + GC;
    }

    /**
     * {@code <prefix>gc/<run>/<part, 8 digits>}: part {@code part} (0..99999999) of the record of GC run {@code run},
     * where {@code run} is the run's start in ms since the epoch (20 digits) and its id (32 lowercase hex digits),
     * joined by {@code -}, so that runs list in time order.
     */
    public String gcRecord(String run, int part) {
        if (run == null || !run.matches("[0-9]{20}-[0-9a-f]{32}")) {
            throw new IllegalArgumentException("a GC run name is 20 digits, '-', 32 lowercase hex digits; got " + quoted(run));
        }
        if (part < 0 || part > 99_999_999) {
            throw new IllegalArgumentException("a GC record part is 0..99999999, got " + part);
        }
        return prefix + GC + run + "/" + String.format("%08d", part);
    }

    private static long parseSeq(String key, int from, int to, String what) {
        if (to - from != SEQ_DIGITS) {
            throw new IllegalArgumentException(what + " " + quoted(key) + " must end in exactly " + SEQ_DIGITS
                    + " decimal digits after the prefix");
        }
        for (int i = from; i < to; i++) {
            char c = key.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException(what + " " + quoted(key) + " has a non-digit '" + c
                        + "' in its sequence number");
            }
        }
        try {
            return Long.parseLong(key, from, to, 10);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " " + quoted(key) + " has a sequence number above "
                    + Long.MAX_VALUE, e);
        }
    }

    private static String seq(long seq) {
        if (seq < 0) {
            throw new IllegalArgumentException("a sequence number must be >= 0, got " + seq);
        }
        String s = Long.toString(seq);
        return "0".repeat(SEQ_DIGITS - s.length()) + s;
    }

    static String shard(ChunkId id) {
        byte first;
        try {
            first = MessageDigest.getInstance("SHA-256").digest(id.toBytes())[0];
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every Java platform has SHA-256", e);
        }
        return new String(new char[] {HEX[(first >> 4) & 0xF], HEX[first & 0xF]});
    }

    private static String quoted(String s) {
        return s == null ? "null" : "'" + s + "'";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BucketKeys other && other.prefix.equals(prefix);
    }

    @Override
    public int hashCode() {
        return prefix.hashCode();
    }

    @Override
    public String toString() {
        return "BucketKeys[prefix='" + prefix + "']";
    }
}
