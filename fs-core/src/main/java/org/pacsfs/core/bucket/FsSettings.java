package org.pacsfs.core.bucket;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;

/**
 * Settings a filesystem is created with and keeps for life: WORM mode, the retention period and the WORM grace period.
 * Stored in {@code <prefix>settings.json}, written once with {@code If-None-Match: *} and never changed (the superblock
 * stays format 1; a filesystem without this object has {@link #DEFAULTS}). Format 1 (docs/FORMAT.md):
 *
 * <pre>
 * {
 *   "magic": "pacsfs-settings",
 *   "formatVersion": 1,
 *   "worm": true,
 *   "retentionSeconds": 316224000,
 *   "wormGraceSeconds": 60,
 *   "checksum": "crc32c:3536f3a6"
 * }
 * </pre>
 *
 * {@code checksum} is the CRC32C of the UTF-8 bytes of {@code magic + "\n" + formatVersion + "\n" + worm + "\n" +
 * retentionSeconds + "\n" + wormGraceSeconds} (the values as they appear in the file). Readers require exactly these
 * members; a newer format version is refused with "upgrade pacsfs".
 *
 * @param worm      regular files become immutable once closed and idle for {@code wormGrace}, until their retention ends
 * @param retention how long a committed version is kept: in WORM mode, how long a file stays immutable after its last
 *                  change. Default 180 days; 1 second .. 100 years
 * @param wormGrace how long after its last change a closed file can still be changed. Default 60 s; 0 .. 7 days
 */
public record FsSettings(boolean worm, Duration retention, Duration wormGrace) {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FsSettings.class);

    public static final int FORMAT_VERSION = 1;
    public static final String MAGIC = "pacsfs-settings";
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(180);
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(60);
    public static final Duration MAX_RETENTION = Duration.ofDays(366L * 100);
    public static final Duration MAX_GRACE = Duration.ofDays(7);
    /** A filesystem created without settings (or before they existed): no WORM, the default retention. */
    public static final FsSettings DEFAULTS = new FsSettings(false, DEFAULT_RETENTION, DEFAULT_GRACE);

    private static final List<String> MEMBERS = List.of("magic", "formatVersion", "worm", "retentionSeconds", "wormGraceSeconds", "checksum");
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})([shdwmy])");
    /** The accepted forms, for error messages. */
    public static final String DURATION_FORMS = "a whole number and a unit: 45s (seconds), 12h (hours), 30d (days), 2w (weeks), "
            + "6m (months, counted as 31 days), 10y (years, counted as 366 days)";

    public FsSettings {
        if (retention.compareTo(Duration.ofSeconds(1)) < 0 || retention.compareTo(MAX_RETENTION) > 0) {
            throw new IllegalArgumentException("the retention must be between 1s and 100y, was " + describe(retention));
        }
        if (wormGrace.isNegative() || wormGrace.compareTo(MAX_GRACE) > 0) {
            throw new IllegalArgumentException("the WORM grace period must be between 0s and 7d, was " + describe(wormGrace));
        }
        retention = Duration.ofSeconds(retention.getSeconds());
        wormGrace = Duration.ofSeconds(wormGrace.getSeconds());
    }

    /**
     * Parses a duration such as {@code 30d}, {@code 6m} or {@code 10y}. Months and years are counted generously (31 and
     * 366 days), so a retention is never shorter than the calendar period it names.
     *
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; use " + DURATION_FORMS);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            case "w" -> Duration.ofDays(7 * n);
            case "m" -> Duration.ofDays(31 * n);
            default -> Duration.ofDays(366 * n);
        };
    }

    /** A duration in the largest unit that divides it ({@code 3660d} rather than {@code 316224000s}). */
    public static String describe(Duration d) {
        long s = d.getSeconds();
        if (s != 0 && s % 86400 == 0) {
            long days = s / 86400;
            return days % 366 == 0 ? days / 366 + "y" : days % 31 == 0 ? days / 31 + "m" : days + "d";
        }
        return s != 0 && s % 3600 == 0 ? s / 3600 + "h" : s + "s";
    }

    @Override
    public String toString() {
        return (worm ? "WORM on (grace " + describe(wormGrace) + ")" : "WORM off") + ", retention " + describe(retention);
    }

    /** The file's bytes (UTF-8 JSON, ending in a newline). */
    public byte[] toBytes() {
        long r = retention.getSeconds();
        long g = wormGrace.getSeconds();
        return ("{\n"
                + "  \"magic\": \"" + MAGIC + "\",\n"
                + "  \"formatVersion\": " + FORMAT_VERSION + ",\n"
                + "  \"worm\": " + worm + ",\n"
                + "  \"retentionSeconds\": " + r + ",\n"
                + "  \"wormGraceSeconds\": " + g + ",\n"
                + "  \"checksum\": \"" + checksum(FORMAT_VERSION, worm, r, g) + "\"\n"
                + "}\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Reads the settings, or empty if the bucket has none. @throws IllegalStateException if they are invalid or newer */
    public static Optional<FsSettings> read(ObjectStore store, BucketKeys keys) {
        ObjectData data;
        try {
            data = store.get(keys.settings());
        } catch (ObjectStoreException.NotFound e) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(data.bytes()));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("settings '" + keys.settings() + "' in " + store.location() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The filesystem's settings at a writer's mount, storing {@code requested} if the filesystem has none yet and nothing
     * was ever committed to its log (a new filesystem, or a creation interrupted before its first change). Settings
     * cannot change afterwards: if {@code explicit} (the options were given) and they differ from the stored ones, this
     * fails with a message saying so.
     *
     * <p>A filesystem whose log has segments but whose settings object is gone lost it (deleted or damaged by hand: every
     * filesystem is created with one), so its WORM mode and retention are unknown. Falling back to the defaults would
     * silently turn WORM off and let gc use a retention shorter than the archive's; so this fails unless the settings
     * are stated again ({@code explicit}), which stores them anew with a warning.
     *
     * @throws IllegalStateException naming the stored and the requested settings, or saying that they are missing
     */
    public static FsSettings establish(ObjectStore store, BucketKeys keys, FsSettings requested, boolean explicit) {
        Optional<FsSettings> stored = read(store, keys);
        if (stored.isEmpty()) {
            if (hasLog(store, keys)) {
                if (!explicit) {
                    throw missing(store, keys);
                }
                LOG.warn("settings '{}' in {} were missing although the filesystem has a log; stored again as stated by the "
                        + "mount options: {}", keys.settings(), store.location(), requested);
            }
            try {
                store.put(keys.settings(), requested.toBytes(), PutCondition.ifNoneMatch());
                return requested;
            } catch (ObjectStoreException.PreconditionFailed lostRace) {
                stored = read(store, keys);
            }
        }
        FsSettings have = stored.orElseThrow();
        if (explicit && !have.equals(requested)) {
            throw new IllegalStateException("the filesystem was created with " + have + "; these settings cannot be changed "
                    + "afterwards (asked for " + requested + "). Mount without --worm, --retention and --worm-grace, or with "
                    + "the values it was created with");
        }
        return have;
    }

    /**
     * The settings of an existing filesystem for a tool that must not guess them (gc's retention): the stored ones, the
     * defaults for a filesystem that has none and never committed anything, and otherwise an error.
     *
     * @throws IllegalStateException if they are invalid, newer, or missing from a filesystem that has a log
     */
    public static FsSettings require(ObjectStore store, BucketKeys keys) {
        Optional<FsSettings> stored = read(store, keys);
        if (stored.isPresent()) {
            return stored.get();
        }
        if (hasLog(store, keys)) {
            throw missing(store, keys);
        }
        return DEFAULTS;
    }

    private static boolean hasLog(ObjectStore store, BucketKeys keys) {
        return !store.list(keys.logPrefix(), null, 1).objects().isEmpty();
    }

    private static IllegalStateException missing(ObjectStore store, BucketKeys keys) {
        return new IllegalStateException("settings '" + keys.settings() + "' are missing from " + store.location()
                + " although its log has segments: they were deleted or lost, so whether the filesystem is WORM and how long "
                + "its retention is cannot be known (every filesystem is created with them). Mount it once stating the "
                + "settings it was created with (--retention 180d for the defaults, or --worm --retention ... "
                + "--worm-grace ...): they are stored again");
    }

    /** Parses and validates a settings file. @throws IllegalArgumentException saying what is wrong */
    public static FsSettings parse(byte[] bytes) {
        if (bytes.length > 64 * 1024) {
            throw new IllegalArgumentException("it is " + bytes.length + " bytes; settings are at most 64 KiB");
        }
        Object root = MiniJson.parse(new String(bytes, StandardCharsets.UTF_8));
        if (!(root instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (!MAGIC.equals(map.get("magic"))) {
            throw new IllegalArgumentException("member \"magic\" is " + map.get("magic") + ", expected \"" + MAGIC + "\"");
        }
        long version = number(map, "formatVersion");
        if (version > FORMAT_VERSION) {
            throw new IllegalArgumentException("this pacsfs reads settings format " + FORMAT_VERSION + "; the bucket has format "
                    + version + ": upgrade pacsfs");
        }
        for (Object name : map.keySet()) {
            if (!MEMBERS.contains(name)) {
                throw new IllegalArgumentException("unknown member \"" + name + "\" in format " + FORMAT_VERSION + " settings");
            }
        }
        if (!(map.get("worm") instanceof Boolean worm)) {
            throw new IllegalArgumentException("member \"worm\" is " + map.get("worm") + ", expected true or false");
        }
        long r = number(map, "retentionSeconds");
        long g = number(map, "wormGraceSeconds");
        String expected = checksum((int) version, worm, r, g);
        if (!expected.equals(map.get("checksum"))) {
            throw new IllegalArgumentException("checksum mismatch: the file says " + map.get("checksum") + ", its contents give " + expected);
        }
        return new FsSettings(worm, Duration.ofSeconds(r), Duration.ofSeconds(g));
    }

    private static long number(Map<?, ?> map, String name) {
        if (map.get(name) instanceof BigDecimal d) {
            try {
                long n = d.longValueExact();
                if (n >= 0) {
                    return n;
                }
            } catch (ArithmeticException e) {
                // a fraction or too large: fall through
            }
        }
        throw new IllegalArgumentException("member \"" + name + "\" is " + map.get(name) + ", expected a whole number >= 0");
    }

    static String checksum(int version, boolean worm, long retentionSeconds, long graceSeconds) {
        CRC32C crc = new CRC32C();
        crc.update((MAGIC + "\n" + version + "\n" + worm + "\n" + retentionSeconds + "\n" + graceSeconds).getBytes(StandardCharsets.UTF_8));
        return String.format("crc32c:%08x", crc.getValue());
    }
}
