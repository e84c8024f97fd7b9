package org.pacsfs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.pacsfs.core.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FUSE mount of a {@link FileSystem}: checks the mount point, cleans up a mount a killed process left behind,
 * mounts with the options that matter (see {@link #libfuseOptions}), waits until the kernel shows the mount, and
 * unmounts. The FUSE loop runs on its own thread; {@link #awaitUnmounted()} returns when it ends, whoever ended it
 * ({@link #unmount()}, {@code fusermount -u}, {@code umount}).
 */
public final class FuseMount {

    private static final Logger LOG = LoggerFactory.getLogger(FuseMount.class);

    /** Mount-time settings of the FUSE channel. {@code extraOptions} are raw {@code -o} options, appended last. */
    public record Options(boolean allowOther, boolean defaultPermissions, boolean readOnly, List<String> extraOptions,
                          String fsName) {
        public Options {
            extraOptions = List.copyOf(extraOptions);
            for (String o : extraOptions) {
                if (o.isBlank() || o.contains(",")) {
                    throw new IllegalArgumentException("-o option '" + o + "' is empty or holds a comma; pass one option per -o "
                            + "or a comma-separated list");
                }
            }
        }

        public static Options defaults() {
            return new Options(true, true, false, List.of(), "pacsfs");
        }
    }

    private final Path mountPoint;
    private final FuseAdapter adapter;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicReference<Throwable> loopFailure = new AtomicReference<>();

    private FuseMount(Path mountPoint, FuseAdapter adapter) {
        this.mountPoint = mountPoint;
        this.adapter = adapter;
    }

    /**
     * Mounts {@code fs} at {@code mountPoint} and returns once the kernel shows the mount.
     *
     * @throws MountException with a one-line reason: mount point missing, not a directory, not empty, already a live
     *                        mount, or libfuse refused
     */
    public static FuseMount mount(FileSystem fs, Path mountPoint, Options options, Supplier<String> status, Duration timeout)
            throws MountException {
        return mount(fs, mountPoint, options, status, timeout, null);
    }

    /** As {@link #mount(FileSystem, Path, Options, Supplier, Duration)}, reporting accesses to {@code audit} (null: none). */
    public static FuseMount mount(FileSystem fs, Path mountPoint, Options options, Supplier<String> status, Duration timeout,
                                  org.pacsfs.core.audit.AuditSink audit) throws MountException {
        Path mp = mountPoint.toAbsolutePath().normalize();
        prepareMountPoint(mp);
        FuseAdapter adapter = audit == null ? new FuseAdapter(fs, status) : new AuditingFuseAdapter(fs, status, audit);
        FuseMount m = new FuseMount(mp, adapter);
        String[] args = libfuseOptions(options);
        Thread loop = new Thread(() -> {
            try {
                // Blocking: returns when the filesystem is unmounted (fuse_main's loop ends).
                adapter.mount(mp, true, false, args);
            } catch (Throwable e) {
                m.loopFailure.set(e);
            } finally {
                m.ended.countDown();
            }
        }, "fuse-main");
        loop.setDaemon(true);
        loop.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!MountTable.isFuseMount(mp)) {
            if (m.ended.getCount() == 0) {
                Throwable e = m.loopFailure.get();
                throw new MountException("libfuse could not mount " + mp + (e == null ? "" : ": " + e.getMessage())
                        + " (is /dev/fuse present and the fuse package installed?)");
            }
            if (System.nanoTime() > deadline) {
                m.unmount();
                throw new MountException("the mount of " + mp + " did not appear within " + timeout.toSeconds() + " s");
            }
            sleep(20);
        }
        LOG.info("mounted at {}", mp);
        return m;
    }

    /** The libfuse 2 command-line options (after the program name, mount point and -f that jnr-fuse adds). */
    static String[] libfuseOptions(Options o) {
        List<String> opts = new ArrayList<>();
        opts.add("fsname=" + o.fsName());
        opts.add("subtype=pacsfs");
        // 128 KiB requests instead of 4 KiB: about 8x the throughput (PITFALLS.md); 131072 is libfuse 2's cap.
        opts.add("big_writes");
        opts.add("max_write=131072");
        opts.add("max_read=131072");
        // The kernel shows our inode numbers: hard links look like hard links to du, find -samefile, tar.
        opts.add("use_ino");
        // No hard_remove: libfuse's hiding rename of an unlinked open file is what lets fstat of it work; the adapter
        // turns that rename into the real unlink (FuseAdapter.rename).
        // No kernel_cache / auto_cache: the adapter decides per open (keep_cache for files with one name; see
        // FuseAdapter.keepCacheUnlessLinked).
        if (o.allowOther()) {
            opts.add("allow_other");
        }
        if (o.defaultPermissions()) {
            opts.add("default_permissions");
        }
        if (o.readOnly()) {
            opts.add("ro");
        }
        opts.addAll(o.extraOptions());
        return new String[] {"-o", String.join(",", opts)};
    }

    /** Unmounts (lazily if busy: open files keep working until closed). Idempotent. */
    public void unmount() {
        if (!MountTable.isFuseMount(mountPoint)) {
            return;
        }
        if (run("fusermount", "-u", mountPoint.toString()) != 0) {
            LOG.warn("{} is busy; unmounting lazily (it disappears when the last open file is closed)", mountPoint);
            run("fusermount", "-u", "-z", mountPoint.toString());
        }
    }

    /** Waits until the FUSE loop has ended; false on timeout. */
    public boolean awaitUnmounted(Duration timeout) throws InterruptedException {
        return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until the FUSE loop has ended. */
    public void awaitUnmounted() throws InterruptedException {
        ended.await();
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /**
     * Refuses what would hide data or fail later (missing, not a directory, not empty, already mounted), and cleans
     * up a FUSE mount whose process died ("Transport endpoint is not connected").
     */
    public static void prepareMountPoint(Path mp) throws MountException {
        if (MountTable.isFuseMount(mp)) {
            if (!MountTable.isStale(mp)) {
                throw new MountException(mp + " is already mounted (" + MountTable.fsType(mp) + "); unmount it first");
            }
            LOG.warn("{} is a FUSE mount left behind by a process that died; cleaning it up", mp);
            if (run("fusermount", "-u", "-z", mp.toString()) != 0) {
                throw new MountException(mp + " is a dead FUSE mount and 'fusermount -uz " + mp + "' failed; run it as root");
            }
        } else if (MountTable.isMountPoint(mp)) {
            throw new MountException(mp + " is already a mount point (" + MountTable.fsType(mp) + "); choose an empty directory");
        }
        if (!Files.exists(mp)) {
            throw new MountException("mount point " + mp + " does not exist; create it with: mkdir -p " + mp);
        }
        if (!Files.isDirectory(mp)) {
            throw new MountException("mount point " + mp + " is not a directory");
        }
        try (var entries = Files.list(mp)) {
            if (entries.findAny().isPresent()) {
                throw new MountException("mount point " + mp + " is not empty (its files would be hidden); use an empty directory");
            }
        } catch (NoSuchFileException e) {
            throw new MountException("mount point " + mp + " does not exist; create it with: mkdir -p " + mp);
        } catch (IOException e) {
            throw new MountException("cannot read mount point " + mp + ": " + e.getMessage());
        }
    }

    static int run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            int rc = p.waitFor();
            if (rc != 0 && !out.isEmpty()) {
                LOG.debug("{} exited {}: {}", command[0], rc, out);
            }
            return rc;
        } catch (IOException e) {
            LOG.warn("cannot run {}: {}", command[0], e.getMessage());
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
