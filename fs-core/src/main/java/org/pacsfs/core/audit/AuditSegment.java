package org.pacsfs.core.audit;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * One object of the access-audit trail ({@code audit/<stream>/<seq>}): a plaintext header, then the events encrypted
 * with AES-256-GCM (JDK {@code javax.crypto}), the header being the GCM additional data. The header holds the key's id
 * (never the key), the filesystem, the stream and position, and the SHA-256 of the stream's previous segment object:
 * each stream is a hash chain, so a removed, replaced or reordered segment is detected. Layout: docs/FORMAT.md, "audit
 * segments".
 */
public final class AuditSegment {

    public static final int MAGIC = 0x50415544; // "PAUD"
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 116;
    /** Flag bit: the last segment of its stream (written at a clean unmount). */
    public static final int FLAG_FINAL = 1;
    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;
    static final int PAYLOAD_VERSION = 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Why a segment could not be read. */
    public static final class FormatException extends Exception {
        private final boolean wrongKey;

        FormatException(String message, boolean wrongKey) {
            super(message);
            this.wrongKey = wrongKey;
        }

        /** The segment was written with another key (its header names another key id). */
        public boolean wrongKey() {
            return wrongKey;
        }
    }

    /** The plaintext header of a segment. */
    public record Header(int flags, byte[] keyId, UUID fsId, byte[] streamId, long seq, byte[] previousSha256,
                         long createdNs) {
        public boolean isFinal() {
            return (flags & FLAG_FINAL) != 0;
        }

        public String streamHex() {
            return HexFormat.of().formatHex(streamId);
        }
    }

    /** A decrypted segment. */
    public record Decoded(Header header, long droppedBefore, List<AuditEvent> events) {
    }

    private AuditSegment() {
    }

    /**
     * Encodes and encrypts a segment.
     *
     * @param droppedBefore events that could not be queued since the previous segment (queue overflow)
     */
    public static byte[] encode(AuditKey key, UUID fsId, byte[] streamId, long seq, byte[] previousSha256, long createdNs,
                                boolean last, long droppedBefore, List<AuditEvent> events) {
        byte[] plain = payload(droppedBefore, events);
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.putInt(MAGIC).putShort((short) VERSION).putShort((short) (last ? FLAG_FINAL : 0)).put(key.id())
                .putLong(fsId.getMostSignificantBits()).putLong(fsId.getLeastSignificantBits()).put(streamId).putLong(seq)
                .put(previousSha256).putLong(createdNs).put(nonce).putInt(plain.length + TAG_BITS / 8);
        header.putInt(crc(header.array(), HEADER_BYTES - 4));
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BITS, nonce));
            gcm.updateAAD(header.array());
            byte[] sealed = gcm.doFinal(plain);
            byte[] object = Arrays.copyOf(header.array(), HEADER_BYTES + sealed.length);
            System.arraycopy(sealed, 0, object, HEADER_BYTES, sealed.length);
            return object;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JDK", e);
        }
    }

    /** Reads the header alone (no key needed): magic, version, flags and CRC32C are checked. */
    public static Header header(byte[] object) throws FormatException {
        if (object.length < HEADER_BYTES + TAG_BITS / 8) {
            throw new FormatException("too short for an audit segment (" + object.length + " bytes)", false);
        }
        ByteBuffer b = ByteBuffer.wrap(object);
        if (b.getInt() != MAGIC) {
            throw new FormatException("not an audit segment (bad magic)", false);
        }
        int version = b.getShort() & 0xFFFF;
        if (version != VERSION) {
            throw new FormatException("audit segment format version " + version + "; this pacsfs reads version " + VERSION
                    + " (upgrade pacsfs)", false);
        }
        if (b.getInt(HEADER_BYTES - 4) != crc(object, HEADER_BYTES - 4)) {
            throw new FormatException("the header's CRC32C does not match (damaged)", false);
        }
        int flags = b.getShort() & 0xFFFF;
        if ((flags & ~FLAG_FINAL) != 0) {
            throw new FormatException("unknown header flags " + flags, false);
        }
        byte[] keyId = bytes(b, 8);
        UUID fs = new UUID(b.getLong(), b.getLong());
        byte[] stream = bytes(b, 16);
        long seq = b.getLong();
        byte[] previous = bytes(b, 32);
        long created = b.getLong();
        bytes(b, NONCE_BYTES);
        int length = b.getInt();
        if (length != object.length - HEADER_BYTES) {
            throw new FormatException("the header says " + length + " encrypted bytes, the object has "
                    + (object.length - HEADER_BYTES) + " (truncated or extended)", false);
        }
        return new Header(flags, keyId, fs, stream, seq, previous, created);
    }

    /**
     * Verifies and decrypts a segment.
     *
     * @throws FormatException naming what is wrong: the header, another key ({@link FormatException#wrongKey()}), an
     *                         authentication tag that does not verify (the segment was altered or damaged), the payload
     */
    public static Decoded decode(AuditKey key, byte[] object) throws FormatException {
        Header h = header(object);
        if (!Arrays.equals(h.keyId(), key.id())) {
            throw new FormatException("written with the audit key whose id is " + HexFormat.of().formatHex(h.keyId())
                    + "; the key given has id " + key.idHex(), true);
        }
        byte[] plain;
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BITS, object, HEADER_BYTES - 4 - 4 - NONCE_BYTES,
                    NONCE_BYTES));
            gcm.updateAAD(object, 0, HEADER_BYTES);
            plain = gcm.doFinal(object, HEADER_BYTES, object.length - HEADER_BYTES);
        } catch (AEADBadTagException e) {
            throw new FormatException("the AES-GCM authentication tag does not verify: the segment was altered or damaged", false);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JDK", e);
        }
        try {
            return parsePayload(h, ByteBuffer.wrap(plain));
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new FormatException("the decrypted events do not parse: " + e.getMessage(), false);
        }
    }

    /** SHA-256 of a whole segment object: what the next segment names as its predecessor. */
    public static byte[] sha256(byte[] object) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(object);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static byte[] payload(long dropped, List<AuditEvent> events) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + events.size() * 96);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(PAYLOAD_VERSION);
            out.writeLong(dropped);
            out.writeInt(events.size());
            for (AuditEvent e : events) {
                out.writeByte(e.kind().code());
                out.writeShort(e.errno());
                out.writeLong(e.timeNs());
                out.writeInt(e.uid());
                out.writeInt(e.gid());
                out.writeLong(e.pid());
                out.writeLong(e.ino());
                out.writeByte(e.values().length);
                for (long v : e.values()) {
                    out.writeLong(v);
                }
                string(out, e.path(), 0xFFFF);
                string(out, e.path2(), 0xFFFF);
                string(out, e.process(), 0xFF);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    private static void string(DataOutputStream out, String s, int max) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(b.length, max); // paths are at most 4096 bytes (PATH_MAX); comm 15
        if (max == 0xFF) {
            out.writeByte(n);
        } else {
            out.writeShort(n);
        }
        out.write(b, 0, n);
    }

    private static Decoded parsePayload(Header h, ByteBuffer b) {
        int version = b.get() & 0xFF;
        if (version != PAYLOAD_VERSION) {
            throw new IllegalArgumentException("event format version " + version + " (this pacsfs reads " + PAYLOAD_VERSION + ")");
        }
        long dropped = b.getLong();
        int count = b.getInt();
        if (count < 0 || count > b.remaining() / 36) {
            throw new IllegalArgumentException("event count " + count + " does not fit the segment");
        }
        List<AuditEvent> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int code = b.get() & 0xFF;
            AuditKind kind = AuditKind.ofCode(code);
            if (kind == null) {
                throw new IllegalArgumentException("unknown event kind " + code + " (written by a newer pacsfs?)");
            }
            int errno = b.getShort();
            long time = b.getLong();
            int uid = b.getInt();
            int gid = b.getInt();
            long pid = b.getLong();
            long ino = b.getLong();
            long[] values = new long[b.get() & 0xFF];
            for (int v = 0; v < values.length; v++) {
                values[v] = b.getLong();
            }
            String path = readString(b, b.getShort() & 0xFFFF);
            String path2 = readString(b, b.getShort() & 0xFFFF);
            String process = readString(b, b.get() & 0xFF);
            events.add(new AuditEvent(kind, errno, time, uid, gid, pid, process, ino, path, path2, values));
        }
        if (b.hasRemaining()) {
            throw new IllegalArgumentException(b.remaining() + " bytes after the last event");
        }
        return new Decoded(h, dropped, events);
    }

    private static String readString(ByteBuffer b, int n) {
        byte[] s = bytes(b, n);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static int crc(byte[] bytes, int length) {
        CRC32C c = new CRC32C();
        c.update(bytes, 0, length);
        return (int) c.getValue();
    }
}
