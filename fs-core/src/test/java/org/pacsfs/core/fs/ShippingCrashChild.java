package org.pacsfs.core.fs;

import java.io.PrintStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.pacsfs.core.lease.LeaseConfig;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.s3.S3Config;
import org.pacsfs.core.store.s3.S3Credentials;
import org.pacsfs.core.store.s3.S3ObjectStore;

/**
 * The process {@link ShippingKillNineIT} kills with SIGKILL. Arguments: state directory, S3 endpoint, bucket,
 * access key, secret key, id base, seed. Opens the filesystem on the bucket (taking the lease over from the killed
 * predecessor), ships constantly (flush delay 20 ms), and runs a PACS-like workload on two threads, printing one
 * line after each promise it makes (every line ends with " ." so that a line cut by the kill is recognisable):
 * <ul>
 *   <li>{@code F <id> <study> <len> .} file {@code /incoming/s<study>/f<id>.tmp} holds {@code len} pattern bytes
 *       (written, fsynced);</li>
 *   <li>{@code R <id> .} it was renamed to {@code f<id>.dcm} (synced);</li>
 *   <li>{@code D <study> .} the study directory moved to {@code /archive/s<study>} (synced);</li>
 *   <li>{@code A <id> <len> .} {@code /logs/a<id>.log} holds at least {@code len} pattern bytes (appended, fsynced).</li>
 * </ul>
 * File contents are {@link ShipTestSupport#pattern} of the id, so every byte of every file is checkable.
 */
public final class ShippingCrashChild {
    static final String PREFIX = "fs1/";
    private static final Object OUT_LOCK = new Object();
    /** For running the workload in-process (diagnosis): the loops end when set. */
    static volatile boolean stop;

    private ShippingCrashChild() {
    }

    static FsConfig fsConfig(Path state) {
        return FsConfig.defaults(state).withIndexSize(20_000, 400_000);
    }

    static Remote remote(ObjectStore store) {
        return Remote.of(store, PREFIX)
                .withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(20))
                        .withBackoff(Duration.ofMillis(5), Duration.ofMillis(200)))
                .withLease(LeaseConfig.defaults().withHostName("crash-child"))
                .withTakeOver(true);
    }

    public static void main(String[] args) throws Exception {
        Path state = Path.of(args[0]);
        long idBase = Long.parseLong(args[5]);
        Random seedSource = new Random(Long.parseLong(args[6]));
        say("START .");
        S3ObjectStore store = S3ObjectStore.open(S3Config.builder().endpoint(URI.create(args[1])).region("us-east-1")
                .bucket(args[2]).pathStyle(true).credentials(S3Credentials.of(args[3], args[4])).build());
        LocalFileSystem fs = LocalFileSystem.open(fsConfig(state), remote(store));
        for (String d : List.of("/incoming", "/archive", "/logs")) {
            try {
                fs.mkdir(d, 0755, Caller.ROOT);
            } catch (FsException.Exists e) {
                // from an earlier run
            }
        }
        fs.syncAll();
        say("OPEN " + fs.recoveryInfo().recordsReplayed() + " .");
        long s1 = seedSource.nextLong();
        long s2 = seedSource.nextLong();
        Thread appender = new Thread(() -> guard(() -> appends(fs, idBase + 500_000, new Random(s2))), "appender");
        appender.start();
        guard(() -> studies(fs, idBase, new Random(s1)));
    }

    private interface Work {
        void run() throws Exception;
    }

    private static void guard(Work w) {
        try {
            w.run();
        } catch (Throwable t) {
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }
    }

    static void studies(LocalFileSystem fs, long idBase, Random rnd) throws Exception {
        long nextId = idBase;
        long study = idBase;
        while (!stop) {
            study++;
            String dir = "/incoming/s" + study;
            fs.mkdir(dir, 0755, Caller.ROOT);
            int files = 2 + rnd.nextInt(5);
            for (int j = 0; j < files; j++) {
                long id = nextId++;
                int len = rnd.nextInt(10) < 7 ? 1 + rnd.nextInt(32 << 10) : (32 << 10) + rnd.nextInt(300 << 10);
                byte[] data = ShipTestSupport.pattern(id, 0, len);
                String tmp = dir + "/f" + id + ".tmp";
                long fh = fs.create(tmp, 0644, ShipTestSupport.W, Caller.ROOT);
                int piece = 4096 << rnd.nextInt(6);
                for (int off = 0; off < len; off += piece) {
                    fs.write(fh, off, ByteBuffer.wrap(data, off, Math.min(piece, len - off)));
                }
                fs.fsync(fh, false);
                say("F " + id + " " + study + " " + len + " .");
                fs.release(fh);
                fs.rename(tmp, dir + "/f" + id + ".dcm", 0);
                fs.syncAll();
                say("R " + id + " .");
                Thread.sleep(15);
            }
            fs.rename(dir, "/archive/s" + study, 0);
            fs.syncAll();
            say("D " + study + " .");
        }
    }

    static void appends(LocalFileSystem fs, long nextLog, Random rnd) throws Exception {
        List<Long> logs = new ArrayList<>();
        long dh = fs.opendir("/logs");
        for (DirEntry e : fs.readdir(dh, 0, 100_000)) {
            if (e.name().startsWith("a")) {
                logs.add(Long.parseLong(e.name().substring(1, e.name().length() - 4)));
            }
        }
        fs.releasedir(dh);
        logs.sort(Long::compare);
        while (logs.size() > 4) {
            logs.remove(0);
        }
        while (!stop) {
            if (logs.size() < 3 || rnd.nextInt(20) == 0) {
                long id = nextLog++;
                fs.release(fs.create("/logs/a" + id + ".log", 0644, ShipTestSupport.W, Caller.ROOT));
                logs.add(id);
                if (logs.size() > 4) {
                    logs.remove(0);
                }
            }
            long id = logs.get(rnd.nextInt(logs.size()));
            long fh = fs.open("/logs/a" + id + ".log", OpenFlags.O_WRONLY);
            long size = fs.getattr(fh).size();
            int len = 100 + rnd.nextInt(8000);
            byte[] data = ShipTestSupport.pattern(id, size, len);
            int first = 1 + rnd.nextInt(len - 1);
            fs.write(fh, size, ByteBuffer.wrap(data, 0, first));
            fs.write(fh, size + first, ByteBuffer.wrap(data, first, len - first));
            fs.fsync(fh, false);
            say("A " + id + " " + (size + len) + " .");
            fs.release(fh);
            Thread.sleep(10);
        }
    }

    private static void say(String line) {
        PrintStream out = System.out;
        synchronized (OUT_LOCK) {
            out.println(line);
            out.flush();
        }
    }
}
