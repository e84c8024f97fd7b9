package org.pacsfs.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens real channels whose {@code force} and {@code write} fail on demand, like a disk with an I/O error or a full
 * file system. Counters say how many failures are still to inject; {@link #failOpens} makes opening new files fail.
 */
final class FaultyChannelFactory implements ChannelFactory {
    final AtomicInteger failForces = new AtomicInteger();
    final AtomicInteger failWrites = new AtomicInteger();
    final AtomicInteger failOpens = new AtomicInteger();
    /** Forces that still succeed before {@link #failForces} applies (to fail one in the middle of a sync round). */
    final AtomicInteger forcesBeforeFailure = new AtomicInteger();
    /**
     * When set, a failed force also zeroes every byte written to that file since its last successful force (or its
     * open): the kernel dropped the dirty pages after the write-back error and the disk never got them.
     */
    volatile boolean dropUnforcedOnFailure;
    /** Positional reads to fail, like EIO reading a page the kernel dropped. */
    final AtomicInteger failReads = new AtomicInteger();
    final AtomicInteger forces = new AtomicInteger();
    /** Forces attempted on channels after a force on them failed (must stay 0). */
    final AtomicInteger forcesAfterFailure = new AtomicInteger();

    @Override
    public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
        if (failOpens.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IOException("injected: cannot create " + path + " (No space left on device)");
        }
        return new Faulty(FileChannel.open(path, options));
    }

    private final class Faulty extends DelegatingFileChannel {
        private volatile boolean forceFailed;
        private volatile long forcedSize;

        Faulty(FileChannel delegate) throws IOException {
            super(delegate);
            forcedSize = delegate.size();
        }

        @Override
        public void force(boolean metaData) throws IOException {
            forces.incrementAndGet();
            if (forceFailed) {
                forcesAfterFailure.incrementAndGet();
            }
            if (failForces.get() > 0 && forcesBeforeFailure.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                super.force(metaData);
                return;
            }
            if (failForces.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                forceFailed = true;
                if (dropUnforcedOnFailure) {
                    long size = delegate.size();
                    if (size > forcedSize) {
                        delegate.write(ByteBuffer.allocate((int) (size - forcedSize)), forcedSize);
                    }
                }
                throw new IOException("injected: fsync failed (Input/output error)");
            }
            long size = delegate.size();
            super.force(metaData);
            forcedSize = size;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            if (failReads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IOException("injected: read failed (Input/output error)");
            }
            return super.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            if (failWrites.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                // Like ENOSPC in the middle of a write: part of the bytes land, then the error.
                int half = src.remaining() / 2;
                ByteBuffer part = src.duplicate().limit(src.position() + half);
                delegate.write(part, position);
                throw new IOException("injected: No space left on device");
            }
            return super.write(src, position);
        }
    }
}
