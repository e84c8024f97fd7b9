package org.pacsfs.core.history;

import java.util.HexFormat;

/**
 * A tamper-evidence anchor: the position and SHA-256 of the log's head segment at some moment, recorded by an
 * operator outside the bucket (a ticket, a second system, paper). A later verify checks that segment {@code seq}
 * still has exactly this hash: since every segment names its predecessor's hash, that proves nothing up to
 * {@code seq} was changed, removed or reordered since — which the bucket alone cannot prove about its newest segments.
 *
 * <p>Text form: {@code <seq>:<64 lowercase hex digits>}, e.g. {@code 42:9f86d0...}, as {@code pacsfs verify} prints it.
 */
public record HeadAnchor(long seq, byte[] sha256) {

    public HeadAnchor {
        if (seq < 1) {
            throw new IllegalArgumentException("an anchor's segment number must be at least 1, got " + seq);
        }
        if (sha256 == null || sha256.length != 32) {
            throw new IllegalArgumentException("an anchor's SHA-256 must be 32 bytes");
        }
        sha256 = sha256.clone();
    }

    /**
     * Parses {@code SEQ:SHA256HEX}.
     *
     * @throws IllegalArgumentException naming the accepted form
     */
    public static HeadAnchor parse(String text) {
        String form = "expected SEQ:SHA256 as pacsfs verify prints it, e.g. 42:" + "0".repeat(64);
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("'" + text + "' is not a head anchor; " + form);
        }
        String hex = text.substring(colon + 1);
        if (!hex.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("'" + text + "': the hash is not 64 hex digits; " + form);
        }
        long seq;
        try {
            seq = Long.parseLong(text.substring(0, colon));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': the segment number is not a number; " + form);
        }
        if (seq < 1) {
            throw new IllegalArgumentException("'" + text + "': the segment number must be at least 1; " + form);
        }
        return new HeadAnchor(seq, HexFormat.of().parseHex(hex.toLowerCase(java.util.Locale.ROOT)));
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    @Override
    public String toString() {
        return seq + ":" + HexFormat.of().formatHex(sha256);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HeadAnchor a && a.seq == seq && java.util.Arrays.equals(a.sha256, sha256);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seq) * 31 + java.util.Arrays.hashCode(sha256);
    }
}
