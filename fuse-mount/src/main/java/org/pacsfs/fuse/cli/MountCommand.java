package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.Superblock;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.Remote;
import org.pacsfs.core.fs.ShipConfig;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.fuse.FuseMount;
import org.pacsfs.fuse.MountException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pacsfs mount [s3://BUCKET[/PREFIX]] MOUNTPOINT}: opens the filesystem (superblock, lease, recovery) and
 * serves it through FUSE until unmounted ({@code pacsfs unmount}, {@code fusermount -u}, SIGTERM, SIGINT); then drains
 * the write-log to S3 within the drain timeout, releases the lease and exits. Without {@code --foreground} it starts
 * itself in the background and returns once the mount is there.
 */
@Command(name = "mount", sortOptions = false, description = {
        "Mount a pacsfs filesystem.",
        "  pacsfs mount s3://BUCKET[/PREFIX] MOUNTPOINT [options]",
        "  pacsfs mount --embedded-s3 DIR MOUNTPOINT      (a local S3 server, no cloud account)",
        "  pacsfs mount MOUNTPOINT                        (the same with DIR = ~/.local/share/pacsfs/embedded-s3)"})
final class MountCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(MountCommand.class);

    @Parameters(arity = "1..2", paramLabel = "[s3://BUCKET[/PREFIX]] MOUNTPOINT")
    List<String> positional;

    @Mixin
    BucketOptions bucket;

    @Option(names = "--config", paramLabel = "FILE", description = "Take the source, mount point and options from FILE "
            + "(key = value lines; check it with: pacsfs config check FILE).")
    Path config;

    @Option(names = "--create", description = "Create the filesystem if the bucket/prefix holds none (first mount only).")
    boolean create;

    @Mixin
    WormOptions wormOptions;

    @Mixin
    AuditOptions auditOptions;

    @Option(names = "--take-over", description = "Take over the single-writer lease of another host whose lease has expired "
            + "(only after making sure that host is down; see docs/SEMANTICS.md, failover).")
    boolean takeOver;

    @Option(names = "--read-only", description = "Mount read-only, showing the filesystem as of mount time; takes no lease, "
            + "so it may run anywhere, also while a writer is mounted.")
    boolean readOnly;

    @Option(names = "--at", paramLabel = "TIME", converter = HistoryView.TimeConverter.class,
            description = "With --read-only: show the filesystem as it was at TIME (2025-06-01T12:00:00Z, 2025-06-01T14:00:00+02:00, "
                    + "or a local date-time 2025-06-01T14:00[:00]), e.g. to copy files back after ransomware. See docs/HISTORY.md.")
    java.time.Instant at;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Local state: write-log, index, chunk cache. "
            + "Default: /var/lib/pacsfs/<bucket>_<prefix> as root, else ~/.cache/pacsfs/<bucket>_<prefix>. Created with mode 0700.")
    Path cacheDir;

    @Option(names = "--wal-dir", paramLabel = "DIR", description = "Put the write-log here instead of CACHE-DIR/wal (e.g. on a mirrored disk).")
    Path walDir;

    @Option(names = "--wal-cap", paramLabel = "SIZE", converter = Sizes.class,
            description = "Most unshipped data the write-log holds; at the cap writers wait, then get ENOSPC. Default: 4G.")
    Long walCap;

    @Option(names = "--memory-cache", paramLabel = "SIZE", converter = Sizes.class,
            description = "Memory for decoded chunks read from S3 (at least 16M). Default: a quarter of the Java heap, at most 256M "
                    + "(112M with the launcher's default heap of 448M).")
    Long memoryCache;

    @Option(names = "--disk-cache", paramLabel = "SIZE", converter = Sizes.class,
            description = "Disk for chunks read from S3 (checksummed, survives restarts; 0 = off). Default: 10G; off for --read-only "
                    + "unless --disk-cache-dir is given.")
    Long diskCache;

    @Option(names = "--disk-cache-min-free", paramLabel = "RATIO",
            description = "Keep at least this share of the disk cache's filesystem free (0..0.9). Default: 0.10.")
    Double diskCacheMinFree;

    @Option(names = "--disk-cache-dir", paramLabel = "DIR", description = "Where the disk cache lives. Default: CACHE-DIR/cache.")
    Path diskCacheDir;

    @Option(names = "--read-ahead", paramLabel = "SIZE", converter = Sizes.class,
            description = "Read-ahead window of a sequential reader, per file and in total (at most half the memory cache; 0 = off). Default: 128M.")
    Long readAhead;

    @Option(names = "--get-parallelism", paramLabel = "N", description = "Parallel GETs for read-ahead (1..256). Default: 16.")
    Integer getParallelism;

    @Option(names = "--expected-files", paramLabel = "N", description = "Files the local index is sized for up front (it grows "
            + "beyond, up to 1000 x N, at most 100 million). Its files take about 900 bytes per expected file on disk. Default: 2000000.")
    Long expectedFiles;

    @Option(names = "--durability", paramLabel = "MODE", description = "local (fsync = forced to the local write-log; default) "
            + "or remote (fsync also waits until the data is committed in S3).")
    String durability = "local";

    @Option(names = "--background-nice", paramLabel = "N", description = "Nice value (0..19) of the threads that ship to S3 "
            + "in local durability, so that the application's requests win the CPU on a busy machine; 0 = normal priority. Default: "
            + ShipConfig.DEFAULT_BACKGROUND_NICE + ".")
    int backgroundNice = ShipConfig.DEFAULT_BACKGROUND_NICE;

    @Option(names = "--capacity", paramLabel = "SIZE", converter = Sizes.class, description = "Size reported by statfs/df. Default: 100T.")
    Long capacity;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", description = "How long unmount waits for the write-log to reach S3. Default: 300.")
    long drainTimeoutSeconds = 300;

    @Option(names = {"-f", "--foreground"}, description = "Stay in the foreground (for systemd and for trying it out); default: background.")
    boolean foreground;

    @Option(names = "--allow-other", negatable = true, description = "Let all users access the mount, with permission checks "
            + "by mode bits (a PACS service usually runs as its own user). Default: on when mounting as root; other users "
            + "need 'user_allow_other' in /etc/fuse.conf for it.")
    Boolean allowOther;

    @Option(names = "-o", paramLabel = "OPT[,OPT...]", split = ",",
            description = "Extra FUSE mount options (e.g. uid=1000,gid=1000,umask=027, attr_timeout=5).")
    List<String> fuseOptions = new ArrayList<>();

    @Option(names = "--debug", description = "Log at debug level (names of files appear in the log).")
    boolean debug;

    @Option(names = "--metrics-port", paramLabel = "PORT", description = "Serve Prometheus metrics at "
            + "http://127.0.0.1:PORT/metrics (loopback only; 0 = a free port, printed at mount and shown by pacsfs status). "
            + "Default: off.")
    Integer metricsPort;

    @Override
    public Integer call() throws Exception {
        Logging.configure(debug);
        S3Location location = positional.size() == 2 ? S3Location.parse(positional.get(0)) : null;
        Path mountPoint = Path.of(positional.get(positional.size() - 1)).toAbsolutePath().normalize();
        if (location == null && bucket.embeddedS3 == null) {
            bucket.embeddedS3 = Path.of(System.getProperty("user.home"), ".local", "share", "pacsfs", "embedded-s3");
        }
        ShipConfig.Durability mode = switch (durability) {
            case "local" -> ShipConfig.Durability.LOCAL;
            case "remote" -> ShipConfig.Durability.REMOTE;
            default -> throw new CliException("--durability must be 'local' or 'remote', got '" + durability + "'");
        };
        if (drainTimeoutSeconds < 0) {
            throw new CliException("--drain-timeout must be >= 0 seconds, got " + drainTimeoutSeconds);
        }
        if (backgroundNice < 0 || backgroundNice > 19) {
            throw new CliException("--background-nice must be between 0 (normal priority) and 19, got " + backgroundNice);
        }
        if (at != null && !readOnly) {
            throw new CliException("--at needs --read-only: a view of the past cannot be written to (to bring a file back, use pacsfs restore)");
        }
        wormOptions.requested();
        if (readOnly && wormOptions.explicit()) {
            throw new CliException("--worm, --retention, --worm-grace and --require-object-lock are chosen when a filesystem is "
                    + "created; a read-only mount takes them from the bucket");
        }
        FuseMount.Options fuse;
        try {
            boolean others = allowOther != null ? allowOther : "root".equals(System.getProperty("user.name"));
            fuse = new FuseMount.Options(others, true, readOnly, fuseOptions, "pacsfs");
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        // Before anything is opened or started: bad options and a bad mount point fail fast and leave nothing behind.
        cache = cacheConfig();
        S3Location where = location != null ? location : new S3Location(BucketOptions.EMBEDDED_BUCKET, "");
        fsConfig(statePath(where), false);
        MetricsEndpoint.checkPort(metricsPort);
        org.pacsfs.core.audit.AuditKey auditKey = auditOptions.key();
        org.pacsfs.core.audit.AuditTrail.Config auditConfig = auditOptions.config();
        FuseMount.prepareMountPoint(mountPoint);
        if (!foreground) {
            return Background.start(mountPoint);
        }
        bucket.embeddedNice = mode == ShipConfig.Durability.LOCAL ? backgroundNice : 0;
        MetricsEndpoint metrics = MetricsEndpoint.start(metricsPort, where, mountPoint, readOnly);
        try (metrics; BucketOptions.Connection conn = bucket.connect(location)) {
            boolean creating = checkFilesystem(conn);
            org.pacsfs.core.store.ObjectStore data = conn.store();
            if (!readOnly) {
                org.pacsfs.core.bucket.FsSettings settings = wormOptions.establish(BucketOptions.patient(conn.store()), conn.store(),
                        String.valueOf(conn.location()), creating);
                data = wormOptions.dataStore(conn.store(), settings); // Object Lock retention where the bucket has it
            }
            Path state = stateDirectory(conn.location());
            FsConfig config = fsConfig(state, true);
            org.pacsfs.core.store.CountingObjectStore counted = new org.pacsfs.core.store.CountingObjectStore(data);
            Remote remote = Remote.of(counted, "")
                    .withShip(ShipConfig.defaults().withDurability(mode).withDrainTimeout(Duration.ofSeconds(drainTimeoutSeconds))
                            .withBackgroundNice(backgroundNice))
                    .withTakeOver(takeOver);
            LocalFileSystem fs;
            Path readOnlyState = null;
            if (readOnly) {
                readOnlyState = Files.createTempDirectory(Files.createDirectories(state), "read-only-");
                fs = at == null ? LocalFileSystem.openReadOnly(config.withStateDirectory(readOnlyState), remote)
                        : LocalFileSystem.openReadOnlyAt(config.withStateDirectory(readOnlyState), remote, at);
            } else {
                fs = LocalFileSystem.open(config, remote);
            }
            MountStatus status = new MountStatus(new org.pacsfs.fuse.metrics.MountFigures.Source(fs, counted, cache),
                    conn.location(), mountPoint, readOnly, metrics.url());
            metrics.serve(status::figures);
            org.pacsfs.core.audit.AuditTrail audit;
            try {
                audit = auditKey == null ? null : startAudit(conn, data, auditKey, auditConfig);
            } catch (CliException e) {
                fs.close();
                throw e;
            }
            status.audit(audit);
            FuseMount mount;
            try {
                mount = FuseMount.mount(fs, mountPoint, fuse, status::json, Duration.ofSeconds(30), audit);
            } catch (MountException | RuntimeException e) {
                if (audit != null) {
                    audit.close();
                }
                fs.close();
                throw e;
            }
            Thread hook = new Thread(() -> stopOnSignal(mount), "pacsfs-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            System.out.println("pacsfs: " + conn.location() + " mounted at " + mountPoint
                    + (readOnly ? " (read-only)" : "") + "; unmount with: pacsfs unmount " + mountPoint);
            mount.awaitUnmounted();
            if (audit != null) {
                audit.close(); // the last events and the stream's final segment, while the connection is open
            }
            LOG.info("unmounted; shipping the write-log to the bucket (up to {} s) and releasing the lease", drainTimeoutSeconds);
            closeFilesystem(fs, status);
            if (readOnlyState != null) {
                Directories.deleteRecursively(readOnlyState);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // SIGTERM: the hook is running and waits for this thread to finish.
            }
            return 0;
        } catch (FsException e) {
            throw new CliException(e.getMessage(), e);
        } finally {
            // After the connection closed (an embedded S3 server stops only once everything was shipped to it).
            stopped.countDown();
        }
    }

    /** The access-audit stream of this mount (docs/AUDIT.md); its objects go to the bucket beside the filesystem's. */
    private static org.pacsfs.core.audit.AuditTrail startAudit(BucketOptions.Connection conn, org.pacsfs.core.store.ObjectStore data,
                                                               org.pacsfs.core.audit.AuditKey key,
                                                               org.pacsfs.core.audit.AuditTrail.Config config) throws CliException {
        try {
            java.util.UUID fsId = Superblock.read(BucketOptions.patient(conn.store()), BucketKeys.under(""))
                    .orElseThrow(() -> new CliException(conn.location() + ": no superblock")).fsId();
            return org.pacsfs.core.audit.AuditTrail.start(data, BucketKeys.under(""), key, fsId, config,
                    java.time.Clock.systemUTC());
        } catch (org.pacsfs.core.bucket.SuperblockException | ObjectStoreException e) {
            throw new CliException("cannot start the access audit: " + e.getMessage());
        }
    }

    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);

    /** SIGTERM/SIGINT: unmount, then let the main thread drain and close; the JVM exits when this hook returns. */
    private void stopOnSignal(FuseMount mount) {
        if (stopped.getCount() == 0) {
            return;
        }
        LOG.info("signal received: unmounting {}", mount.mountPoint());
        mount.unmount();
        try {
            stopped.await(drainTimeoutSeconds + 60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeFilesystem(LocalFileSystem fs, MountStatus status) {
        try {
            fs.close();
            LocalFileSystem.ShipStatus s = fs.shipStatus();
            if (s.lastLsn() > s.shippedLsn() && !status.readOnly()) {
                LOG.warn("stopped with {} changes not shipped to S3; they are safe in the write-log and are shipped by the next "
                        + "mount of this cache directory", s.lastLsn() - s.shippedLsn());
            } else {
                LOG.info("stopped cleanly: everything is in S3 and the lease is released");
            }
        } catch (FsException e) {
            LOG.error("clean shutdown failed: {}; the next mount recovers from the write-log", e.getMessage());
        }
    }

    /**
     * Refuses to mount a bucket/prefix that holds no filesystem unless --create, and foreign data in any case. Returns
     * true if the filesystem is to be created.
     */
    private boolean checkFilesystem(BucketOptions.Connection conn) throws CliException {
        org.pacsfs.core.store.ObjectStore store = BucketOptions.patient(conn.store());
        try {
            if (Superblock.read(store, BucketKeys.under("")).isPresent()) {
                return false;
            }
        } catch (org.pacsfs.core.bucket.SuperblockException e) {
            throw new CliException(e.getMessage());
        } catch (ObjectStoreException e) {
            throw new CliException("cannot read " + conn.location() + ": " + e.getMessage());
        }
        if (readOnly) {
            throw new CliException(conn.location() + " holds no pacsfs filesystem; there is nothing to mount read-only");
        }
        boolean empty = store.list("", null, 1).objects().isEmpty();
        if (!empty) {
            throw new CliException(conn.location() + " holds objects but no pacsfs filesystem (no pacsfs.json); "
                    + "mount an empty bucket or prefix, e.g. s3://BUCKET/pacsfs");
        }
        if (!create && conn.embedded() == null) {
            throw new CliException(conn.location() + " holds no pacsfs filesystem yet; to create one there, mount once with --create");
        }
        LOG.info("creating a new filesystem in {}", conn.location());
        return true;
    }

    private Path stateDirectory(S3Location location) throws CliException {
        Path dir = statePath(location);
        try {
            return Directories.createPrivate(dir.toAbsolutePath());
        } catch (IOException e) {
            throw new CliException("cannot create the cache directory " + dir + ": " + e.getMessage());
        }
    }

    /** The cache directory (not created here). */
    private Path statePath(S3Location location) {
        Path dir = cacheDir;
        if (dir == null) {
            boolean root = "root".equals(System.getProperty("user.name"));
            dir = root ? Path.of("/var/lib/pacsfs", location.localName())
                    : Path.of(System.getProperty("user.home"), ".cache", "pacsfs", location.localName());
        }
        return dir;
    }

    /**
     * The filesystem's settings from the options. Called twice: before connecting to S3 with {@code create} false (so
     * bad --wal-cap, --wal-dir or --expected-files values fail at once and nothing is created), then for real.
     */
    private FsConfig fsConfig(Path state, boolean create) throws CliException {
        try {
            FsConfig config = FsConfig.defaults(state).withCache(cache);
            if (expectedFiles != null) {
                config = config.withIndexSize(expectedFiles, Math.max(expectedFiles, Math.min(FsConfig.DEFAULT_MAX_FILES, 1000L * expectedFiles)));
            }
            if (capacity != null) {
                config = config.withCapacityBytes(capacity);
            }
            if (walDir != null) {
                Path wal = create ? Directories.createPrivate(walDir.toAbsolutePath()) : creatable(walDir.toAbsolutePath());
                config = config.withWalTuning(c -> c.withDirectory(wal));
            }
            if (walCap != null) {
                long cap = walCap;
                config = config.withWalTuning(chain(config, c -> c.withCapacityBytes(cap)));
            }
            // Validate the write-log settings now, naming the option, rather than at open.
            config.walTuning().apply(org.pacsfs.wal.WriteLogConfig.defaults(state.resolve("wal")));
            return config;
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid option: " + e.getMessage().replace("index expectedFiles", "--expected-files")
                    .replace("write-log option capacityBytes", "--wal-cap"));
        } catch (IOException e) {
            throw new CliException("cannot create --wal-dir " + walDir + ": " + e.getMessage());
        }
    }

    private org.pacsfs.cache.CacheConfig cache;

    /** {@code dir} is a directory or could become one: its nearest existing ancestor is a directory. */
    private static Path creatable(Path dir) throws IOException {
        Path p = dir;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p != null && !Files.isDirectory(p)) {
            throw new IOException(p + " is not a directory");
        }
        return dir;
    }

    /** The chunk cache options, validated by CacheConfig; its messages are given the option's name. */
    private org.pacsfs.cache.CacheConfig cacheConfig() throws CliException {
        try {
            return buildCacheConfig();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage().replace("cache memoryBytes", "--memory-cache").replace("cache diskBytes", "--disk-cache")
                    .replace("cache diskMinFreeRatio", "--disk-cache-min-free").replace("cache readAheadMaxBytesTotal", "--read-ahead")
                    .replace("cache readAheadMaxBytesPerFile", "--read-ahead").replace("cache getParallelism", "--get-parallelism")
                    .replace("memoryBytes / 2", "half of --memory-cache");
            throw new CliException(m);
        } catch (IOException e) {
            throw new CliException("cannot create --disk-cache-dir " + diskCacheDir + ": " + e.getMessage());
        }
    }

    private org.pacsfs.cache.CacheConfig buildCacheConfig() throws IOException {
        org.pacsfs.cache.CacheConfig c = org.pacsfs.cache.CacheConfig.defaults();
        c = c.withMemoryBytes(memoryCache != null ? memoryCache : defaultMemoryCache(Runtime.getRuntime().maxMemory()));
        long disk = diskCache != null ? diskCache : (readOnly && diskCacheDir == null ? 0 : c.diskBytes());
        c = c.withDisk(disk, diskCacheMinFree != null ? diskCacheMinFree : c.diskMinFreeRatio());
        if (diskCacheDir != null) {
            c = c.withDirectory(Directories.createPrivate(diskCacheDir.toAbsolutePath()));
        }
        if (readAhead != null) {
            c = c.withReadAhead(readAhead, readAhead);
        }
        if (getParallelism != null) {
            c = c.withGetParallelism(getParallelism);
        }
        return c;
    }

    /**
     * The memory tier takes a quarter of the heap (at least 16 MiB, at most the library default of 256 MiB): the rest
     * holds the chunks being shipped (two batches of up to 64 MiB), the write-log's copy of unsynced records (32 MiB),
     * GETs in flight and the disk tier's write queue. Sized so, the launcher's default heap keeps a mount within 512 MiB
     * of heap and direct memory (docs/DECISIONS.md, "Memory budget").
     */
    static long defaultMemoryCache(long maxHeap) {
        long quarter = (maxHeap / 4) & ~((1L << 20) - 1);
        return Math.max(16L << 20, Math.min(org.pacsfs.cache.CacheConfig.DEFAULT_MEMORY_BYTES, quarter));
    }

    private static java.util.function.UnaryOperator<org.pacsfs.wal.WriteLogConfig> chain(
            FsConfig config, java.util.function.UnaryOperator<org.pacsfs.wal.WriteLogConfig> next) {
        java.util.function.UnaryOperator<org.pacsfs.wal.WriteLogConfig> before = config.walTuning();
        return c -> next.apply(before.apply(c));
    }

    static String jvmArguments() {
        return String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments());
    }
}
