package org.pacsfs.wal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The process {@link KillNineCrashTest} kills: opens the log in {@code args[0]}, then two threads append and sync in
 * a loop, printing {@code S <lsn>} on stdout after each sync returns (the promise under test).
 */
public final class CrashChild {
    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        WriteLogConfig cfg = WriteLogConfig.defaults(Path.of(args[0])).withSegmentSizeBytes(256 << 10).withCapacityBytes(1L << 30);
        WriteLog log = WriteLog.open(cfg);
        PrintStream out = System.out;
        out.println("R " + log.lastLsn());
        out.flush();
        Runnable loop = () -> {
            try {
                while (true) {
                    long key = ThreadLocalRandom.current().nextLong() >>> 1;
                    AppendResult r = log.append(TestPayloads.type(key), TestPayloads.payload(key, ThreadLocalRandom.current().nextInt(8, 9000)));
                    log.sync(r.lsn());
                    synchronized (out) {
                        out.println("S " + r.lsn());
                        out.flush();
                    }
                }
            } catch (Exception e) {
                e.printStackTrace();
                System.exit(3);
            }
        };
        Thread t = new Thread(loop);
        t.start();
        loop.run();
    }
}
