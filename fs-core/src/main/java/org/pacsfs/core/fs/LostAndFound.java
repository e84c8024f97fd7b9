package org.pacsfs.core.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkCodec;
import org.pacsfs.core.bucket.Superblock;
import org.pacsfs.core.bucket.SuperblockException;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.wal.WriteLog;
import org.pacsfs.wal.WriteLogException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a takeover: brings what a former writer acknowledged but never shipped into the filesystem, under
 * {@code /lost+found/<host>-<time>/}, without touching anything else (the other writer's later changes win; the
 * operator decides what to do with the recovered copies).
 *
 * <p>The former writer's view is rebuilt exactly: the bucket's log up to that writer's last committed segment, then
 * its local write-log records after it. Every file, symlink and directory those records touched is copied to its
 * path in that view below the lost+found directory; names those records removed are listed in
 * {@code RECOVERED.txt} there.
 */
public final class LostAndFound {
    private static final Logger LOG = LoggerFactory.getLogger(LostAndFound.class);

    /** What was recovered. */
    public record Result(String directory, int files, int symlinks, int directories, long bytes, List<String> removed) {
    }

    private LostAndFound() {
    }

    /**
     * @param formerState the former writer's state directory (its {@code identity} and {@code wal/}); it must not be
     *                    mounted
     * @param target      the state directory to mount the filesystem with for the copy (a normal mount: takes the
     *                    lease, so no other writer may be mounted)
     * @param host        the former writer's host name, for the directory name
     */
    public static Result recover(Path formerState, FsConfig target, Remote remote, String host) throws FsException {
        Path scratch = null;
        WriteLog wal = null;
        LocalIndex index = null;
        try {
            ObjectStore store = remote.store();
            BucketKeys keys = BucketKeys.under(remote.prefix());
            UUID fsId = Superblock.createOrRead(store, keys, java.time.Clock.systemUTC()).fsId();
            if (!Files.exists(formerState.resolve(StateIdentity.FILE))) {
                throw new IOException(formerState + " is not a pacsfs state directory (no " + StateIdentity.FILE + " file)");
            }
            UUID walId = StateIdentity.loadOrCreate(formerState, fsId).walId();
            BucketLog.Head head = BucketLog.replay(store, keys, fsId, null, BucketLog.start(store, keys, fsId, null).head());
            CheckpointFormat.Writer shipped = head.writers().get(walId);
            long shippedLsn = shipped == null ? 0 : shipped.lastLsn();
            wal = WriteLog.open(org.pacsfs.wal.WriteLogConfig.defaults(formerState.resolve("wal")));
            if (wal.lastLsn() <= shippedLsn) {
                LOG.info("{}: every change of that write-log is in the bucket; nothing to recover", formerState);
                return new Result(null, 0, 0, 0, 0, List.of());
            }
            scratch = Files.createTempDirectory(target.stateDirectory().getParent() == null ? Path.of(".") : target.stateDirectory().getParent(), "pacsfs-lost-found-");
            FsConfig viewConfig = target.withStateDirectory(scratch);
            index = LocalIndex.createEmpty(scratch.resolve("index"), target.indexSizing());
            // After a prune, the state before the log base comes from its checkpoint (a writer silent for longer than
            // the retention then sees its unshipped records applied to the base's state).
            BucketLog.replay(store, keys, fsId, index, BucketLog.start(store, keys, fsId, index).head(),
                    shipped == null ? 0 : shipped.lastSeq());
            List<String> removed = new ArrayList<>();
            Set<Long> touched = LocalFileSystem.replayCollecting(wal, index, shippedLsn + 1, removed);
            LocalFileSystem view = LocalFileSystem.view(viewConfig, wal, index,
                    new ChunkReader(store, keys, new ChunkCodec(), index, 64L << 20));
            Map<Long, String> paths = new HashMap<>();
            walk(view, "/", paths);
            String dirName = host + "-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(Instant.now());
            try (LocalFileSystem fs = LocalFileSystem.open(target, remote)) {
                return copy(view, fs, touched, paths, "/lost+found/" + dirName, removed);
            }
        } catch (IOException | SuperblockException | RuntimeException e) {
            throw new FsException.Io("recovering unshipped changes from " + formerState + " failed: " + e.getMessage(), e);
        } finally {
            if (index != null) {
                index.closeQuietly();
            }
            if (wal != null) {
                try {
                    wal.close();
                } catch (WriteLogException e) {
                    LOG.debug("closing {}: {}", formerState, e.toString());
                }
            }
            deleteQuietly(scratch);
        }
    }

    private static Result copy(LocalFileSystem view, LocalFileSystem fs, Set<Long> touched, Map<Long, String> paths,
                               String base, List<String> removed) throws FsException {
        mkdirs(fs, base);
        int files = 0;
        int links = 0;
        int dirs = 0;
        long bytes = 0;
        for (long ino : touched) {
            String p = paths.get(ino);
            if (p == null || p.equals("/")) {
                continue; // deleted again before the end, or the root itself
            }
            Attributes a = view.getattr(p);
            String dst = base + p;
            mkdirs(fs, dst.substring(0, dst.lastIndexOf('/')));
            switch (a.type()) {
                case DIRECTORY -> {
                    mkdirs(fs, dst);
                    dirs++;
                }
                case SYMLINK -> {
                    fs.symlink(view.readlink(p), dst, Caller.ROOT);
                    links++;
                }
                case REGULAR -> {
                    bytes += copyFile(view, fs, p, dst, a);
                    files++;
                }
            }
        }
        StringBuilder readme = new StringBuilder("Changes acknowledged by a former writer but never shipped to the bucket,\n"
                + "recovered as of that writer's last state. Paths below mirror its paths.\n");
        if (!removed.isEmpty()) {
            readme.append("\nNames that writer removed (not applied here):\n");
            removed.forEach(r -> readme.append("  ").append(r).append('\n'));
        }
        long fh = fs.create(base + "/RECOVERED.txt", 0644, OpenFlags.O_WRONLY | OpenFlags.O_EXCL, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.wrap(readme.toString().getBytes(StandardCharsets.UTF_8)));
        fs.release(fh);
        LOG.warn("recovered {} files ({} bytes), {} symlinks, {} directories into {}", files, bytes, links, dirs, base);
        return new Result(base, files, links, dirs, bytes, List.copyOf(removed));
    }

    private static long copyFile(LocalFileSystem view, LocalFileSystem fs, String src, String dst, Attributes a) throws FsException {
        long in = view.open(src, OpenFlags.O_RDONLY);
        long out = fs.create(dst, a.permissions(), OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, Caller.ROOT);
        try {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            long off = 0;
            while (true) {
                buf.clear();
                int n = view.read(in, off, buf);
                if (n <= 0) {
                    return off;
                }
                fs.write(out, off, buf.flip());
                off += n;
            }
        } finally {
            view.release(in);
            fs.release(out);
        }
    }

    private static void mkdirs(LocalFileSystem fs, String path) throws FsException {
        StringBuilder p = new StringBuilder();
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            p.append('/').append(part);
            try {
                fs.mkdir(p.toString(), 0755, Caller.ROOT);
            } catch (FsException.Exists e) {
                // already there
            }
        }
    }

    private static void walk(LocalFileSystem view, String path, Map<Long, String> paths) throws FsException {
        long dh = view.opendir(path);
        try {
            for (DirEntry e : view.readdir(dh, 0, Integer.MAX_VALUE)) {
                if (e.name().equals(".") || e.name().equals("..")) {
                    continue;
                }
                String p = (path.equals("/") ? "" : path) + "/" + e.name();
                paths.putIfAbsent(e.ino(), p);
                if (e.type() == FileType.DIRECTORY) {
                    walk(view, p, paths);
                }
            }
        } finally {
            view.releasedir(dh);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("could not delete {}: {}", dir, e.toString());
        }
    }
}
