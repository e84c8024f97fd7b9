package org.pacsfs.core.fs;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The checkpoint objects in the bucket (docs/FORMAT.md, "checkpoints"): sorted parts of entries and a manifest
 * that commits them. A checkpoint at log position {@code seq} is the index state after segment {@code seq}: FULL
 * (every key) or INCREMENTAL (the keys changed since the previous checkpoint, deletions as tombstones), which is
 * what keeps checkpoints affordable at 100 million files; a chain of incrementals is consolidated into a FULL by
 * merging the sorted runs.
 */
final class CheckpointFormat {
    static final long PART_MAGIC = 0x5046534350415254L; // "PFSCPART"
    static final long MANIFEST_MAGIC = 0x504653434D414E49L; // "PFSCMANI"
    static final int VERSION = 1;
    static final byte FULL = 1;
    static final byte INCREMENTAL = 2;

    private CheckpointFormat() {
    }

    /** One entry; {@code value} null is a tombstone (the key was deleted). */
    record Entry(CheckpointKeys.Key key, byte[] value) {
    }

    /**
     * The last shipment of one write-log.
     *
     * @param lastLsn its last LSN committed
     * @param lastSeq the log segment that committed it
     */
    record Writer(long lastLsn, long lastSeq) {
    }

    /**
     * @param seq       the log segment this checkpoint reflects
     * @param logSha256 SHA-256 of that segment (the log continues from it)
     * @param kind      {@link #FULL} or {@link #INCREMENTAL}
     * @param chain     for an incremental: the checkpoints it builds on (position and object name), oldest (a FULL)
     *                  first; empty for a FULL
     * @param maxIno    highest inode number ever allocated (inode numbers are never reused)
     * @param writers   per write-log id, its last shipment (who wrote what, for the next mount's checks)
     * @param parts     per part: entry count and SHA-256
     */
    record Manifest(long seq, byte[] logSha256, UUID fsId, byte kind, List<Ref> chain, long maxIno,
                    Map<UUID, Writer> writers, List<PartInfo> parts) {
    }

    record PartInfo(long entries, byte[] sha256) {
    }

    /** A checkpoint's position and name ("full-&lt;tag&gt;" or "incr-&lt;tag&gt;", unique per writer and attempt). */
    record Ref(long seq, String name) {
        boolean isFull() {
            return name.startsWith("full");
        }
    }

    static byte[] encodePart(List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
        ByteBuffer head = ByteBuffer.allocate(20).putLong(PART_MAGIC).putInt(VERSION).putLong(entries.size());
        out.writeBytes(head.array());
        for (Entry e : entries) {
            byte[] k = e.key().bytes();
            ByteBuffer b = ByteBuffer.allocate(2 + k.length + 4 + (e.value() == null ? 0 : e.value().length));
            b.putShort((short) k.length).put(k).putInt(e.value() == null ? -1 : e.value().length);
            if (e.value() != null) {
                b.put(e.value());
            }
            out.writeBytes(b.array());
        }
        byte[] body = out.toByteArray();
        return withCrc(body);
    }

    static List<Entry> decodePart(byte[] bytes, String key) {
        ByteBuffer b = verified(bytes, key);
        if (b.getLong() != PART_MAGIC || b.getInt() != VERSION) {
            throw new IllegalArgumentException(key + " is not a version-" + VERSION + " pacsfs checkpoint part");
        }
        long n = b.getLong();
        List<Entry> out = new ArrayList<>((int) Math.min(n, 1 << 20));
        for (long i = 0; i < n; i++) {
            byte[] k = new byte[b.getShort() & 0xFFFF];
            b.get(k);
            int len = b.getInt();
            byte[] v = null;
            if (len >= 0) {
                v = new byte[len];
                b.get(v);
            }
            out.add(new Entry(new CheckpointKeys.Key(k), v));
        }
        if (b.remaining() != 4) {
            throw new IllegalArgumentException(key + ": " + (b.remaining() - 4) + " bytes after the last entry");
        }
        return out;
    }

    static byte[] encodeManifest(Manifest m) {
        int size = 8 + 4 + 8 + 32 + 16 + 1 + 4 + 8 + 4 + m.writers().size() * 32 + 4 + m.parts().size() * 40;
        for (Ref r : m.chain()) {
            size += 8 + 1 + r.name().length();
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putLong(MANIFEST_MAGIC).putInt(VERSION).putLong(m.seq()).put(m.logSha256());
        b.putLong(m.fsId().getMostSignificantBits()).putLong(m.fsId().getLeastSignificantBits());
        b.put(m.kind()).putInt(m.chain().size());
        m.chain().forEach(r -> b.putLong(r.seq()).put((byte) r.name().length()).put(r.name().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        b.putLong(m.maxIno()).putInt(m.writers().size());
        m.writers().forEach((id, w) -> b.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits())
                .putLong(w.lastLsn()).putLong(w.lastSeq()));
        b.putInt(m.parts().size());
        m.parts().forEach(p -> b.putLong(p.entries()).put(p.sha256()));
        return withCrc(b.array());
    }

    static Manifest decodeManifest(byte[] bytes, String key) {
        ByteBuffer b = verified(bytes, key);
        if (b.getLong() != MANIFEST_MAGIC) {
            throw new IllegalArgumentException(key + " is not a pacsfs checkpoint manifest");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new IllegalArgumentException(key + " has checkpoint format " + version + "; this pacsfs reads " + VERSION);
        }
        long seq = b.getLong();
        byte[] sha = new byte[32];
        b.get(sha);
        UUID fsId = new UUID(b.getLong(), b.getLong());
        byte kind = b.get();
        int chainLen = b.getInt();
        List<Ref> chain = new ArrayList<>(chainLen);
        for (int i = 0; i < chainLen; i++) {
            long cs = b.getLong();
            byte[] n = new byte[b.get() & 0xFF];
            b.get(n);
            chain.add(new Ref(cs, new String(n, java.nio.charset.StandardCharsets.US_ASCII)));
        }
        long maxIno = b.getLong();
        int nw = b.getInt();
        Map<UUID, Writer> writers = new LinkedHashMap<>();
        for (int i = 0; i < nw; i++) {
            writers.put(new UUID(b.getLong(), b.getLong()), new Writer(b.getLong(), b.getLong()));
        }
        int np = b.getInt();
        List<PartInfo> parts = new ArrayList<>(np);
        for (int i = 0; i < np; i++) {
            long entries = b.getLong();
            byte[] ps = new byte[32];
            b.get(ps);
            parts.add(new PartInfo(entries, ps));
        }
        return new Manifest(seq, sha, fsId, kind, chain, maxIno, writers, parts);
    }

    private static byte[] withCrc(byte[] body) {
        CRC32C crc = new CRC32C();
        crc.update(body);
        return ByteBuffer.allocate(body.length + 4).put(body).putInt((int) crc.getValue()).array();
    }

    private static ByteBuffer verified(byte[] bytes, String key) {
        if (bytes.length < 16) {
            throw new IllegalArgumentException(key + " is truncated (" + bytes.length + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if (ByteBuffer.wrap(bytes).getInt(bytes.length - 4) != (int) crc.getValue()) {
            throw new IllegalArgumentException(key + " fails its CRC32C: damaged");
        }
        return ByteBuffer.wrap(bytes);
    }
}
