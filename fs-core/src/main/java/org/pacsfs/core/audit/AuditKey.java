package org.pacsfs.core.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 key of the access-audit trail: 32 bytes, given as 64 hex digits or base64 text (in a file or the
 * environment variable {@value #ENVIRONMENT}), or as a file of exactly 32 raw bytes. Only its {@linkplain #id() id} is
 * ever shown or stored: the first 8 bytes of SHA-256 over a fixed label and the key, which names the key without
 * revealing it. {@link #toString()} never prints the key.
 */
public final class AuditKey {

    /** The environment variable a key may come from. */
    public static final String ENVIRONMENT = "PACSFS_AUDIT_KEY";
    /** AES-256. */
    public static final int BYTES = 32;
    private static final byte[] ID_LABEL = "pacsfs audit key id\0".getBytes(StandardCharsets.US_ASCII);

    private final SecretKey key;
    private final byte[] id;

    private AuditKey(byte[] raw) {
        this.key = new SecretKeySpec(raw, "AES");
        this.id = idOf(raw);
        Arrays.fill(raw, (byte) 0);
    }

    /** A key from its 32 bytes (copied). */
    public static AuditKey of(byte[] raw) {
        if (raw.length != BYTES) {
            throw new IllegalArgumentException("an audit key is " + BYTES + " bytes, got " + raw.length);
        }
        return new AuditKey(raw.clone());
    }

    /**
     * A key from text: 64 hex digits, or base64 (standard or URL-safe alphabet) of 32 bytes; surrounding white space is
     * ignored. {@code source} names where the text came from in the message of a refusal, which never quotes the text.
     */
    public static AuditKey parse(String text, String source) {
        String t = text.strip();
        if (t.length() == 2 * BYTES && t.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return new AuditKey(HexFormat.of().parseHex(t));
        }
        byte[] decoded = base64(t);
        if (decoded == null || decoded.length != BYTES) {
            throw new IllegalArgumentException(source + ": an audit key must be " + BYTES + " bytes written as 64 hex digits or in "
                    + "base64 (44 characters), e.g. from 'openssl rand -hex 32'; got " + t.length() + " characters"
                    + (decoded == null ? " that are neither" : " that decode to " + decoded.length + " bytes"));
        }
        return new AuditKey(decoded);
    }

    /** A key from a file: 32 raw bytes, or the text forms of {@link #parse}. */
    public static AuditKey read(Path file) throws IOException {
        byte[] content = Files.readAllBytes(file);
        try {
            return parse(new String(content, StandardCharsets.US_ASCII), file.toString());
        } catch (IllegalArgumentException notText) {
            if (content.length == BYTES) {
                return new AuditKey(content);
            }
            throw new IllegalArgumentException(file + ": an audit key file holds 32 raw bytes, or 64 hex digits, or the base64 of "
                    + "32 bytes; this one has " + content.length + " bytes that are none of these");
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    private static byte[] base64(String t) {
        try {
            return Base64.getDecoder().decode(t);
        } catch (IllegalArgumentException e) {
            try {
                return Base64.getUrlDecoder().decode(t);
            } catch (IllegalArgumentException e2) {
                return null;
            }
        }
    }

    private static byte[] idOf(byte[] raw) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ID_LABEL);
            return Arrays.copyOf(sha.digest(raw), 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The key's 8-byte id (stored in every segment header). */
    public byte[] id() {
        return id.clone();
    }

    /** The id as 16 hex digits, for messages. */
    public String idHex() {
        return HexFormat.of().formatHex(id);
    }

    SecretKey secret() {
        return key;
    }

    @Override
    public String toString() {
        return "AuditKey[id=" + idHex() + "]";
    }
}
