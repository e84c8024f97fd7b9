package org.pacsfs.core.lease;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The encoded form of a {@link LeaseRecord}: a few lines of UTF-8 text, readable with {@code cat}
 * or {@code aws s3 cp ... -}, protected by a CRC32C. Documented in docs/FORMAT.md ("lease"):
 *
 * <pre>
 * pacsfs-lease 1
 * owner=1b4e28ba-2fa1-11d2-883f-0016d3cca427
 * host=pacs-01.example.org
 * epoch=3
 * state=held
 * acquired-at=2025-01-31T10:00:00.123Z
 * expires-at=2025-01-31T10:01:00.456Z
 * crc32c=0a1b2c3d
 * </pre>
 *
 * <p>The decoder is strict: exactly these lines in this order, each ended by one LF (no CR, no
 * blank lines, nothing after the last), canonical values only (no leading zeros, instants exactly as
 * {@link Instant#toString()} prints them), a matching checksum. Anything else is a {@link
 * LeaseCorruptException} whose message says what is wrong.
 */
public final class LeaseCodec {

    /** The first word of the object. */
    public static final String MAGIC = "pacsfs-lease";
    /** The only format version this code writes and reads. */
    public static final int VERSION = 1;
    /** Larger objects are rejected before decoding. */
    public static final int MAX_SIZE = 1024;

    private static final String[] KEYS = {"owner", "host", "epoch", "state", "acquired-at", "expires-at"};
    private static final Pattern EPOCH = Pattern.compile("[1-9][0-9]{0,18}");
    private static final Pattern CRC = Pattern.compile("[0-9a-f]{8}");
    private static final Pattern SALVAGE_EPOCH = Pattern.compile("(?m)^epoch=([0-9]{1,18})$");

    private LeaseCodec() {}

    /** The bytes of {@code record}. */
    public static byte[] encode(LeaseRecord record) {
        String body = MAGIC + " " + VERSION + "\n"
                + "owner=" + record.ownerId() + "\n"
                + "host=" + record.host() + "\n"
                + "epoch=" + record.epoch() + "\n"
                + "state=" + record.state().token() + "\n"
                + "acquired-at=" + record.acquiredAt() + "\n"
                + "expires-at=" + record.expiresAt() + "\n";
        byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
        String all = body + "crc32c=" + String.format("%08x", crc32c(bodyBytes, bodyBytes.length)) + "\n";
        return all.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Decodes the lease object stored under {@code key}.
     *
     * @param where names the object in messages, e.g. {@code s3://bucket/fs1/lease}
     * @throws LeaseCorruptException if the bytes are not exactly a lease of this format version
     */
    public static LeaseRecord decode(byte[] bytes, String where) {
        if (bytes.length == 0) {
            throw corrupt(where, "the object is empty");
        }
        if (bytes.length > MAX_SIZE) {
            throw corrupt(where, "the object has " + bytes.length + " bytes, a lease has at most " + MAX_SIZE);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw corrupt(where, "the object is not valid UTF-8 text");
        }
        if (text.indexOf('\r') >= 0) {
            throw corrupt(where, "it contains a carriage return (lines must end with LF only)");
        }
        int firstLf = text.indexOf('\n');
        String first = firstLf < 0 ? text : text.substring(0, firstLf);
        if (!first.startsWith(MAGIC + " ")) {
            throw corrupt(where, "it does not start with '" + MAGIC + " <version>' (first bytes: '"
                    + printable(first, 40) + "')");
        }
        String version = first.substring(MAGIC.length() + 1);
        if (!version.equals(Integer.toString(VERSION))) {
            throw corrupt(where, "format version '" + printable(version, 20) + "' is not supported (this pacsfs reads "
                    + "version " + VERSION + "; was it written by a newer pacsfs?)");
        }
        if (!text.endsWith("\n")) {
            throw corrupt(where, "it does not end with a line feed (truncated?)");
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        int expectedLines = 1 + KEYS.length + 1;
        if (lines.length != expectedLines) {
            throw corrupt(where, "it has " + lines.length + " lines, a lease has " + expectedLines);
        }
        String crcLine = lines[expectedLines - 1];
        if (!crcLine.startsWith("crc32c=") || !CRC.matcher(crcLine.substring(7)).matches()) {
            throw corrupt(where, "the last line is not 'crc32c=<8 lower-case hex digits>'");
        }
        int bodyLength = bytes.length - (crcLine.length() + 1); // the crc line is ASCII
        long expectedCrc = Long.parseLong(crcLine.substring(7), 16);
        long actualCrc = crc32c(bytes, bodyLength);
        if (expectedCrc != actualCrc) {
            throw corrupt(where, String.format("checksum mismatch: the object says crc32c=%08x, its content has %08x",
                    expectedCrc, actualCrc));
        }
        String[] values = new String[KEYS.length];
        for (int i = 0; i < KEYS.length; i++) {
            String line = lines[i + 1];
            String prefix = KEYS[i] + "=";
            if (!line.startsWith(prefix)) {
                throw corrupt(where, "line " + (i + 2) + " should start with '" + prefix + "', got '"
                        + printable(line, 40) + "'");
            }
            values[i] = line.substring(prefix.length());
        }
        try {
            String owner = values[0];
            LeaseRecord.requireOwnerId(owner);
            String host = values[1];
            LeaseRecord.requireHost(host);
            if (!EPOCH.matcher(values[2]).matches()) {
                throw corrupt(where, "epoch '" + printable(values[2], 30) + "' is not a positive decimal number "
                        + "without leading zeros");
            }
            long epoch = Long.parseLong(values[2]);
            LeaseRecord.State state = parseState(values[3], where);
            Instant acquiredAt = parseInstant("acquired-at", values[4], where);
            Instant expiresAt = parseInstant("expires-at", values[5], where);
            return new LeaseRecord(owner, host, epoch, acquiredAt, expiresAt, state);
        } catch (IllegalArgumentException e) {
            throw corrupt(where, e.getMessage());
        }
    }

    /**
     * The epoch found in unreadable lease bytes if a line {@code epoch=<n>} survived, else 0: a takeover
     * of a damaged lease continues the epoch sequence when it can.
     */
    static long salvageEpoch(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        Matcher m = SALVAGE_EPOCH.matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static LeaseRecord.State parseState(String value, String where) {
        for (LeaseRecord.State s : LeaseRecord.State.values()) {
            if (s.token().equals(value)) {
                return s;
            }
        }
        throw corrupt(where, "state '" + printable(value, 30) + "' is neither 'held' nor 'released'");
    }

    private static Instant parseInstant(String key, String value, String where) {
        Instant instant;
        try {
            instant = Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw corrupt(where, key + " '" + printable(value, 40) + "' is not an ISO-8601 UTC instant");
        }
        if (!instant.toString().equals(value)) {
            throw corrupt(where, key + " '" + printable(value, 40) + "' is not in canonical form (expected '"
                    + instant + "')");
        }
        return instant;
    }

    private static long crc32c(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return crc.getValue();
    }

    private static LeaseCorruptException corrupt(String where, String why) {
        return new LeaseCorruptException(where, why);
    }

    /** At most {@code max} characters of {@code s}, control characters shown as '?', for messages. */
    private static String printable(String s, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < max; i++) {
            char c = s.charAt(i);
            sb.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
        }
        if (s.length() > max) {
            sb.append("...");
        }
        return sb.toString();
    }
}
