package org.pacsfs.core.fs.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.pacsfs.wal.ChannelFactory;

/**
 * A write-log {@link ChannelFactory} that simulates power loss (as write-log's own PowerLossChannelFactory does):
 * it remembers each segment file's content as of its last {@code force} (or its open, which follows a forced
 * creation or a recovery). {@link #powerCut()} freezes that durable view (later forces, e.g. from closing the
 * log, no longer count); {@link #restore} then puts every file back to it, followed by a torn last page: some of
 * the bytes written after the force within that page survive, then garbage.
 */
public final class PowerLossChannels implements ChannelFactory {
    static final int PAGE = 4096;
    private final Map<Path, byte[]> durable = new ConcurrentHashMap<>();
    private volatile boolean cut;

    @Override
    public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
        FileChannel real = FileChannel.open(path, options);
        boolean tracked = !path.getFileName().toString().endsWith(".tmp");
        if (tracked && !cut) {
            durable.putIfAbsent(path, Files.readAllBytes(path));
        }
        return new Forwarding(real) {
            @Override
            public void force(boolean metaData) throws IOException {
                super.force(metaData);
                if (tracked) {
                    synchronized (PowerLossChannels.this) {
                        if (!cut) {
                            durable.put(path, Files.readAllBytes(path));
                        }
                    }
                }
            }
        };
    }

    /** The power fails now: nothing forced from here on counts. */
    public synchronized void powerCut() {
        cut = true;
    }

    /**
     * Rewrites every tracked file as the disk holds it after the cut. Call after the filesystem let go of the files.
     *
     * @param keepWrittenBytes whether some unforced bytes of the torn page survive (false: only garbage follows)
     */
    public void restore(Random random, boolean keepWrittenBytes) throws IOException {
        if (!cut) {
            throw new IllegalStateException("powerCut() first");
        }
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

    /** Forwards everything to another channel. */
    private static class Forwarding extends FileChannel {
        private final FileChannel d;

        Forwarding(FileChannel d) {
            this.d = d;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return d.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return d.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return d.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return d.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return d.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            d.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return d.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            d.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            d.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return d.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return d.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return d.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return d.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return d.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return d.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return d.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            d.close();
        }
    }
}
