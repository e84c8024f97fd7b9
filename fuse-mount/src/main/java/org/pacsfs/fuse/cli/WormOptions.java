package org.pacsfs.fuse.cli;

import java.time.Duration;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.FsSettings;
import org.pacsfs.core.bucket.Superblock;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.s3.ObjectLockStatus;
import org.pacsfs.core.store.s3.S3ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The options of {@code pacsfs mount} that a filesystem is created with and keeps for life ({@link FsSettings}): WORM,
 * the retention and the WORM grace period. Given at a later mount they must equal the stored values, or the mount is
 * refused (docs/HISTORY.md, WORM).
 */
final class WormOptions {
    private static final Logger LOG = LoggerFactory.getLogger(WormOptions.class);

    @Option(names = "--worm", description = "With --create: WORM mode. A regular file becomes write-once when closed and idle "
            + "for the grace period: writing, truncating, renaming, replacing, removing it or changing its attributes fails "
            + "with EPERM until its retention ends. Cannot be turned off later.")
    boolean worm;

    @Option(names = "--retention", paramLabel = "DURATION", description = "With --create: how long versions are kept and, "
            + "with --worm, how long a file stays write-once after its last change (30d, 6m, 10y; a month counts 31 days, "
            + "a year 366). Cannot be changed later. Default: 180d.")
    String retention;

    @Option(names = "--worm-grace", paramLabel = "DURATION", description = "With --create --worm: how long after its last "
            + "change a closed file may still be changed (0s..7d, e.g. 60s, 1h). Default: 60s.")
    String wormGrace;

    @Option(names = "--require-object-lock", description = "With --create --worm: refuse to create the filesystem unless the "
            + "bucket has S3 Object Lock enabled (otherwise a warning is printed and WORM is enforced by pacsfs only).")
    boolean requireObjectLock;

    /** Whether any of these options was given (then they are compared with the stored settings). */
    boolean explicit() {
        return worm || retention != null || wormGrace != null || requireObjectLock;
    }

    /** The settings asked for; checked before anything is started, so a bad value fails at once. */
    FsSettings requested() throws CliException {
        if (!worm && (wormGrace != null || requireObjectLock)) {
            throw new CliException("--worm-grace and --require-object-lock need --worm");
        }
        try {
            return new FsSettings(worm, parse("--retention", retention, FsSettings.DEFAULT_RETENTION),
                    parse("--worm-grace", wormGrace, FsSettings.DEFAULT_GRACE));
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid option: " + e.getMessage().replace("the retention", "--retention")
                    .replace("the WORM grace period", "--worm-grace"));
        }
    }

    private static Duration parse(String option, String text, Duration absent) throws CliException {
        if (text == null) {
            return absent;
        }
        try {
            return FsSettings.parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw new CliException(option + ": " + e.getMessage());
        }
    }

    /**
     * At a writer's mount, before the filesystem is opened: creates the superblock if the filesystem is new (so that an
     * interrupted creation never leaves settings without a superblock), then stores the settings or checks them against
     * the stored ones, and at creation with WORM tells whether the bucket's Object Lock backs it up.
     */
    FsSettings establish(ObjectStore store, ObjectStore probe, String location, boolean creating) throws CliException {
        FsSettings requested = requested();
        if (creating && worm) {
            objectLock = checkObjectLock(probe, location);
            if (objectLock.enabled()) {
                store = BucketOptions.patient(lockingView((S3ObjectStore) probe, requested)); // superblock and settings too
            }
        }
        try {
            if (creating) {
                Superblock.createOrRead(store, BucketKeys.under(""), java.time.Clock.systemUTC());
            }
            FsSettings settings = FsSettings.establish(store, BucketKeys.under(""), requested, explicit());
            if (settings.worm()) {
                LOG.info("{}: {}", location, settings);
                if (objectLock == null) {
                    objectLock = checkObjectLock(probe, location); // every writer mount says whether the server backs WORM up
                }
            }
            return settings;
        } catch (IllegalStateException | org.pacsfs.core.bucket.SuperblockException e) {
            throw new CliException(location + ": " + e.getMessage());
        }
    }

    /** What the bucket said about Object Lock at this mount (null: not asked, the filesystem is not WORM). */
    private ObjectLockStatus objectLock;

    /**
     * The store the filesystem writes through: for a WORM filesystem on a bucket with Object Lock, a view of
     * {@code store} that gives every object written once (chunks, log segments, checkpoints, audit segments) the mode
     * {@value #LOCK_MODE_NAME} and a retain-until date of the upload time plus the retention; otherwise {@code store}.
     */
    ObjectStore dataStore(ObjectStore store, FsSettings settings) {
        if (settings.worm() && objectLock != null && objectLock.enabled() && store instanceof S3ObjectStore s3) {
            return lockingView(s3, settings);
        }
        return store;
    }

    private static final String LOCK_MODE_NAME = "COMPLIANCE";

    /**
     * For a command other than mount that writes the filesystem (restore without a mount): the store it must write
     * through, with Object Lock retention when the filesystem is WORM and the bucket has Object Lock.
     */
    static ObjectStore writerStore(ObjectStore store) {
        FsSettings settings = FsSettings.read(BucketOptions.patient(store), BucketKeys.under("")).orElse(FsSettings.DEFAULTS);
        if (settings.worm() && store instanceof S3ObjectStore s3 && s3.objectLock().enabled()) {
            return lockingView(s3, settings);
        }
        return store;
    }

    private static S3ObjectStore lockingView(S3ObjectStore s3, FsSettings settings) {
        BucketKeys keys = BucketKeys.under("");
        return s3.withObjectLock(new org.pacsfs.core.store.s3.ObjectLockRetention(
                org.pacsfs.core.store.s3.ObjectLockRetention.Mode.valueOf(LOCK_MODE_NAME), settings.retention(),
                java.time.Clock.systemUTC(), keys::isWrittenOnce));
    }

    private ObjectLockStatus checkObjectLock(ObjectStore probe, String location) throws CliException {
        ObjectLockStatus lock = probe instanceof S3ObjectStore s3 ? s3.objectLock()
                : new ObjectLockStatus(false, "the object store cannot be asked about Object Lock");
        if (lock.enabled()) {
            LOG.info("{}: {}; objects written once get Object Lock {} until their upload time + the retention", location,
                    lock.detail(), LOCK_MODE_NAME);
            return lock;
        }
        String message = "WORM is enforced by pacsfs only; the bucket does not have Object Lock, so someone with S3 credentials "
                + "can still delete objects (" + lock.detail() + ")";
        if (requireObjectLock) {
            throw new CliException(location + ": --require-object-lock: " + message);
        }
        System.err.println("pacsfs: warning: " + message);
        LOG.warn("{}: {}", location, message);
        return lock;
    }
}
