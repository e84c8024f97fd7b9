package org.pacsfs.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Simulates power loss: remembers each segment file's content as of its last {@code force} (or its open, which
 * follows a forced creation or a recovery), and on {@link #crash} puts every file back to that content, followed
 * by a torn last page: some of the bytes written after the force within that page survive, then garbage.
 */
final class PowerLossChannelFactory implements ChannelFactory {
    static final int PAGE = 4096;
    private final Map<Path, byte[]> durable = new ConcurrentHashMap<>();

    @Override
    public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
        FileChannel real = FileChannel.open(path, options);
        boolean tracked = !path.getFileName().toString().endsWith(".tmp");
        if (tracked) {
            durable.putIfAbsent(path, Files.readAllBytes(path));
        }
        return new DelegatingFileChannel(real) {
            @Override
            public void force(boolean metaData) throws IOException {
                super.force(metaData);
                if (tracked) {
                    durable.put(path, Files.readAllBytes(path));
                }
            }
        };
    }

    /**
     * Rewrites every tracked file as the disk would hold it after a power cut. The caller has abandoned the log.
     *
     * @param keepWrittenBytes whether some unforced bytes of the torn page survive (false: only garbage follows)
     */
    void crash(Random random, boolean keepWrittenBytes) throws IOException {
        for (Map.Entry<Path, byte[]> e : durable.entrySet()) {
            if (!Files.exists(e.getKey())) {
                continue;
            }
            byte[] now = Files.readAllBytes(e.getKey());
            byte[] forced = e.getValue();
            int pageEnd = (int) Math.min(now.length, ((long) forced.length / PAGE + 1) * PAGE);
            int unforced = Math.max(0, pageEnd - forced.length);
            int keep = keepWrittenBytes ? random.nextInt(unforced + 1) : 0;
            int garbage = random.nextInt(unforced - keep + 1);
            byte[] after = new byte[forced.length + keep + garbage];
            System.arraycopy(forced, 0, after, 0, forced.length);
            System.arraycopy(now, forced.length, after, forced.length, keep);
            byte[] junk = new byte[garbage];
            random.nextBytes(junk);
            System.arraycopy(junk, 0, after, forced.length + keep, garbage);
            Files.write(e.getKey(), after);
        }
        durable.clear();
    }
}
