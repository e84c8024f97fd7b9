package org.pacsfs.core.bucket;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;

/**
 * The superblock {@code <prefix>pacsfs.json}: what every reader of the bucket needs before anything else.
 * Written once, with {@code If-None-Match: *}, and never changed. Format 1:
 *
 * <pre>
 * {
 *   "magic": "pacsfs",
 *   "formatVersion": 1,
 *   "fsId": "0b6f3c1e-8d0a-4f57-9a53-2a8f0f7f4c11",
 *   "createdAt": "2025-06-01T12:00:00.123Z",
 *   "checksum": "crc32c:d4bc9d21"
 * }
 * </pre>
 *
 * <p>{@code checksum} is {@code "crc32c:"} + 8 lowercase hex digits of the CRC32C of the UTF-8 bytes of
 * {@code magic + "\n" + formatVersion + "\n" + fsId + "\n" + createdAt} (the values exactly as they
 * appear in the file, the version in decimal). A reader first checks {@code magic} and {@code
 * formatVersion} (a newer version is refused with "upgrade pacsfs", whatever else the file holds), then
 * requires exactly these five members with these types, the checksum, a lowercase canonical UUID and an
 * ISO-8601 UTC instant ending in {@code Z}.
 *
 * <p>Immutable.
 */
public final class Superblock {

    /** The superblock format version this code writes and reads. */
    public static final int FORMAT_VERSION = 1;

    /** The value of the {@code magic} member. */
    public static final String MAGIC = "pacsfs";

    /** A superblock larger than this is refused without parsing. */
    public static final int MAX_BYTES = 64 * 1024;

    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern CHECKSUM_TEXT = Pattern.compile("crc32c:[0-9a-f]{8}");
    private static final DateTimeFormatter CREATED_AT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final List<String> MEMBERS = List.of("magic", "formatVersion", "fsId", "createdAt", "checksum");

    private final UUID fsId;
    private final Instant createdAt;

    /** A format-{@value #FORMAT_VERSION} superblock; {@code createdAt} is kept to the millisecond. */
    public Superblock(UUID fsId, Instant createdAt) {
        this.fsId = Objects.requireNonNull(fsId, "fsId");
        this.createdAt = Objects.requireNonNull(createdAt, "createdAt").truncatedTo(ChronoUnit.MILLIS);
    }

    /** A superblock for a new filesystem: a random fs id, created now. */
    public static Superblock newFilesystem(Clock clock) {
        return new Superblock(UUID.randomUUID(), clock.instant());
    }

    public int formatVersion() {
        return FORMAT_VERSION;
    }

    /** The filesystem's identity: caches, leases and exports name it. */
    public UUID fsId() {
        return fsId;
    }

    public Instant createdAt() {
        return createdAt;
    }

    /**
     * Returns the filesystem's superblock, creating it if the bucket has none: reads it; if absent, puts a
     * {@link #newFilesystem new one} with {@code If-None-Match: *}; if that put loses a race (412), reads
     * the winner's. Every caller, however many race, ends with the same superblock.
     *
     * @throws SuperblockException if the existing superblock is of a newer format or invalid
     * @throws ObjectStoreException if the store fails (transient errors are for the caller to retry; a
     *     retry is safe: a put that was applied although it reported an error is found by the next read)
     */
    public static Superblock createOrRead(ObjectStore store, BucketKeys keys, Clock clock) throws SuperblockException {
        Optional<Superblock> existing = read(store, keys);
        if (existing.isPresent()) {
            return existing.get();
        }
        Superblock fresh = newFilesystem(clock);
        try {
            store.put(keys.superblock(), fresh.toBytes(), PutCondition.ifNoneMatch());
            return fresh;
        } catch (ObjectStoreException.PreconditionFailed lostRace) {
            return read(store, keys).orElseThrow(() -> new IllegalStateException("the put of "
                    + where(store, keys) + " failed with 412 (it exists), yet it cannot be read back"));
        }
    }

    /**
     * Reads and validates the superblock, or returns empty if the bucket has none.
     *
     * @throws SuperblockException if it is of a newer format or invalid; the message names the location
     */
    public static Optional<Superblock> read(ObjectStore store, BucketKeys keys) throws SuperblockException {
        ObjectData data;
        try {
            data = store.get(keys.superblock());
        } catch (ObjectStoreException.NotFound e) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(data.bytes()));
        } catch (SuperblockException e) {
            throw new SuperblockException(e.reason(), where(store, keys) + ": " + e.getMessage(), e);
        }
    }

    private static String where(ObjectStore store, BucketKeys keys) {
        return "superblock '" + keys.superblock() + "' in " + store.location();
    }

    /** The file's bytes (UTF-8 JSON, ending in a newline). */
    public byte[] toBytes() {
        String created = CREATED_AT.format(createdAt);
        String id = fsId.toString();
        String json = "{\n"
                + "  \"magic\": \"" + MAGIC + "\",\n"
                + "  \"formatVersion\": " + FORMAT_VERSION + ",\n"
                + "  \"fsId\": \"" + id + "\",\n"
                + "  \"createdAt\": \"" + created + "\",\n"
                + "  \"checksum\": \"" + checksum(MAGIC, FORMAT_VERSION, id, created) + "\"\n"
                + "}\n";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses and validates a superblock file.
     *
     * @throws SuperblockException {@link SuperblockException.Reason#UNSUPPORTED_FORMAT} for a newer format
     *     version, {@link SuperblockException.Reason#INVALID} for anything else that is wrong
     */
    public static Superblock parse(byte[] bytes) throws SuperblockException {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length > MAX_BYTES) {
            throw invalid("it is " + bytes.length + " bytes, a superblock is at most " + MAX_BYTES);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw invalid("it is not UTF-8 text", e);
        }
        Object root;
        try {
            root = MiniJson.parse(text);
        } catch (IllegalArgumentException e) {
            throw invalid("it is not JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw invalid("it is not a JSON object");
        }
        if (!MAGIC.equals(map.get("magic"))) {
            throw invalid("member \"magic\" is " + describe(map.get("magic")) + ", expected \"" + MAGIC + "\"");
        }
        int version = formatVersion(map.get("formatVersion"));
        if (version > FORMAT_VERSION) {
            throw new SuperblockException(SuperblockException.Reason.UNSUPPORTED_FORMAT, "this pacsfs reads format "
                    + FORMAT_VERSION + "; the bucket has format " + version + ": upgrade pacsfs");
        }
        for (Object name : map.keySet()) {
            if (!MEMBERS.contains(name)) {
                throw invalid("unknown member \"" + name + "\" in a format " + FORMAT_VERSION + " superblock");
            }
        }
        for (String name : MEMBERS) {
            if (!map.containsKey(name)) {
                throw invalid("member \"" + name + "\" is missing");
            }
        }
        String id = string(map, "fsId");
        String created = string(map, "createdAt");
        String checksum = string(map, "checksum");
        if (!CHECKSUM_TEXT.matcher(checksum).matches()) {
            throw invalid("member \"checksum\" is \"" + checksum + "\", expected \"crc32c:\" and 8 lowercase hex digits");
        }
        String expected = checksum(MAGIC, version, id, created);
        if (!expected.equals(checksum)) {
            throw invalid("checksum mismatch: the file says " + checksum + ", its contents give " + expected);
        }
        if (!UUID_TEXT.matcher(id).matches()) {
            throw invalid("member \"fsId\" is \"" + id + "\", expected a lowercase UUID like "
                    + "0b6f3c1e-8d0a-4f57-9a53-2a8f0f7f4c11");
        }
        Instant instant;
        try {
            if (!created.endsWith("Z")) {
                throw new DateTimeParseException("not UTC", created, created.length());
            }
            instant = DateTimeFormatter.ISO_INSTANT.parse(created, Instant::from);
        } catch (DateTimeParseException e) {
            throw invalid("member \"createdAt\" is \"" + created + "\", expected an ISO-8601 UTC time like "
                    + "2025-06-01T12:00:00.000Z", e);
        }
        return new Superblock(UUID.fromString(id), instant);
    }

    private static int formatVersion(Object v) throws SuperblockException {
        if (v instanceof BigDecimal d) {
            try {
                int n = d.intValueExact();
                if (n >= 1) {
                    return n;
                }
            } catch (ArithmeticException e) {
                // a fraction or too large: fall through
            }
        }
        throw invalid("member \"formatVersion\" is " + describe(v) + ", expected a positive integer");
    }

    private static String string(Map<?, ?> map, String name) throws SuperblockException {
        Object v = map.get(name);
        if (v instanceof String s) {
            return s;
        }
        throw invalid("member \"" + name + "\" is " + describe(v) + ", expected a string");
    }

    private static String describe(Object v) {
        if (v == null) {
            return "missing";
        }
        if (v instanceof String s) {
            return "\"" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "\"";
        }
        if (v instanceof BigDecimal d) {
            return d.toString();
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "an array";
        }
        return String.valueOf(v);
    }

    static String checksum(String magic, int version, String fsId, String createdAt) {
        CRC32C crc = new CRC32C();
        crc.update((magic + "\n" + version + "\n" + fsId + "\n" + createdAt).getBytes(StandardCharsets.UTF_8));
        return String.format("crc32c:%08x", crc.getValue());
    }

    private static SuperblockException invalid(String what) {
        return new SuperblockException(SuperblockException.Reason.INVALID, "not a valid pacsfs superblock: " + what);
    }

    private static SuperblockException invalid(String what, Throwable cause) {
        return new SuperblockException(SuperblockException.Reason.INVALID, "not a valid pacsfs superblock: " + what,
                cause);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Superblock s && s.fsId.equals(fsId) && s.createdAt.equals(createdAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fsId, createdAt);
    }

    @Override
    public String toString() {
        return "Superblock[format " + FORMAT_VERSION + ", fsId " + fsId + ", created " + CREATED_AT.format(createdAt)
                + "]";
    }
}
