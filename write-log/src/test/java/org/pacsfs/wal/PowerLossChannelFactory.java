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
 * follows a forced creation, a recovery, or the creation of an empty uncommitted segment), also across a rename of a
 * {@code .tmp} file into place, and on {@link #crash} puts every file back to that content, followed
 * by a torn last page: some of the bytes written after the force within that page survive, then garbage.
 */
final class PowerLossChannelFactory implements ChannelFactory {
    static final int PAGE = 4096;
    private final Map<Path, byte[]> durable = new ConcurrentHashMap<>();

    @Override
    public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
        FileChannel real = FileChannel.open(path, options);
        // .tmp files are tracked too: the log writes records into uncommitted segments (.wal.tmp) and renames them
        // after a force; crash() applies what was forced to the renamed file.
        durable.putIfAbsent(path, Files.readAllBytes(path));
        return new DelegatingFileChannel(real) {
            @Override
            public void force(boolean metaData) throws IOException {
                super.force(metaData);
                durable.put(path, Files.readAllBytes(currentName(path)));
            }
        };
    }

    /** A .tmp file the log renamed into place is found under its final name. */
    private static Path currentName(Path opened) {
        String name = opened.getFileName().toString();
        if (!Files.exists(opened) && name.endsWith(".tmp")) {
            return opened.resolveSibling(name.substring(0, name.length() - 4));
        }
        return opened;
    }

    /**
     * Rewrites every tracked file as the disk would hold it after a power cut. The caller has abandoned the log.
     *
     * @param keepWrittenBytes whether some unforced bytes of the torn page survive (false: only garbage follows)
     */
    void crash(Random random, boolean keepWrittenBytes) throws IOException {
        for (Map.Entry<Path, byte[]> e : durable.entrySet()) {
            Path file = e.getKey();
            String name = file.getFileName().toString();
            if (!Files.exists(file) && name.endsWith(".tmp")) {
                // Renamed into place since: the durable content is that of the file under its final name, unless that
                // name was opened (and so tracked) itself.
                Path renamed = file.resolveSibling(name.substring(0, name.length() - 4));
                if (durable.containsKey(renamed)) {
                    continue;
                }
                file = renamed;
            }
            if (!Files.exists(file)) {
                continue;
            }
            byte[] now = Files.readAllBytes(file);
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
            Files.write(file, after);
        }
        durable.clear();
    }
}
