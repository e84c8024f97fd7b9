package org.pacsfs.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Validates every segment of a log directory when it is opened, in id order, and repairs what a crash can leave:
 * <ul>
 *   <li>{@code *.wal.tmp}: a segment started but never synced. After a process crash its records are intact in the
 *       page cache, so it is adopted (renamed into place and recovered like a last segment) when it continues the
 *       recovered log exactly: valid header, first LSN = last recovered LSN + 1, and the segment before it ended
 *       without a torn tail. Otherwise (a power loss, or anything doubtful) it is deleted: none of its records was
 *       ever synced.</li>
 *   <li>a last segment shorter than its header: deleted (its creation is atomic, so this is not our crash; but it
 *       holds no record either). Without a predecessor its first LSN is unknown: reported as corruption.</li>
 *   <li>a torn or corrupt tail of the last segment: truncated to the last valid record, unless a valid record
 *       follows the bad bytes, which is corruption in the middle and reported with its position.</li>
 *   <li>records of a segment at or beyond the first LSN of the next segment: superseded (the log rewrote them there
 *       after a failed force or write); truncated.</li>
 * </ul>
 * Everything else that fails verification (bad header, a segment ending before the next one starts) is reported as
 * {@link WriteLogCorruptException} and nothing is changed. Not thread-safe; runs before the log accepts calls.
 */
final class Recovery {
    private final Path dir;
    private final ChannelFactory factory;
    private final List<RecoveryReport.Truncation> truncations = new ArrayList<>();
    private final List<Path> removed = new ArrayList<>();
    private final List<Long> unfinished = new ArrayList<>();

    private Recovery(Path dir, ChannelFactory factory) {
        this.dir = dir;
        this.factory = factory;
    }

    record Result(List<LogSegment> segments, RecoveryReport report) {
    }

    static Result run(Path dir, ChannelFactory factory) throws IOException {
        return new Recovery(dir, factory).run();
    }

    private Result run() throws IOException {
        List<Long> ids = listSegments();
        List<SegmentHeader> headers = readHeaders(ids);
        List<LogSegment> segments = new ArrayList<>();
        try {
            for (int i = 0; i < ids.size(); i++) {
                SegmentHeader next = i + 1 < ids.size() ? headers.get(i + 1) : null;
                segments.add(recoverSegment(headers.get(i), next));
            }
            adoptUnfinished(segments, ids.isEmpty() ? 0 : ids.get(ids.size() - 1));
        } catch (IOException | RuntimeException e) {
            segments.forEach(LogSegment::closeQuietly);
            throw e;
        }
        if (!removed.isEmpty() || !truncations.isEmpty()) {
            LogSegment.forceDirectory(dir);
        }
        long lastValid = segments.isEmpty() ? 0 : segments.get(segments.size() - 1).lastLsn();
        return new Result(segments, new RecoveryReport(segments.size(), lastValid, truncations, removed));
    }

    private List<Long> listSegments() throws IOException {
        List<Long> ids = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.endsWith(".wal.tmp")) {
                    long id = LogSegment.idOf(name.substring(0, name.length() - ".tmp".length()));
                    if (id > 0) {
                        unfinished.add(id);
                    } else {
                        Files.delete(p);
                        removed.add(p);
                    }
                } else if (LogSegment.idOf(name) > 0) {
                    ids.add(LogSegment.idOf(name));
                }
            }
        }
        ids.sort(null);
        return ids;
    }

    private void adoptUnfinished(List<LogSegment> segments, long lastId) throws IOException {
        unfinished.sort(null);
        long lastLsn = segments.isEmpty() ? 0 : segments.get(segments.size() - 1).lastLsn();
        boolean clean = truncations.stream().noneMatch(t -> t.segmentId() == lastId);
        long prevId = lastId;
        for (long id : unfinished) {
            Path tmp = dir.resolve(LogSegment.fileName(id) + ".tmp");
            SegmentHeader h = null;
            long size = Files.size(tmp);
            if (clean && id > prevId && size >= SegmentHeader.SIZE) {
                try {
                    h = parseHeader(tmp, id, size);
                } catch (WriteLogCorruptException e) {
                    h = null;
                }
            }
            if (h == null || h.firstLsn() != lastLsn + 1) {
                Files.delete(tmp);
                removed.add(tmp);
                clean = false;
                continue;
            }
            Path fin = dir.resolve(LogSegment.fileName(id));
            // Durable before it gets its final name: a finished segment must never be followed by a lost one. Damage
            // inside a never-synced segment is not corruption of anything acknowledged: keep its valid prefix.
            try (FileChannel c = factory.open(tmp, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE))) {
                ByteBuffer image = ByteBuffer.allocate((int) Math.min(size, Integer.MAX_VALUE - 64));
                while (image.hasRemaining() && c.read(image, image.position()) >= 0) {
                    // read until full
                }
                SegmentScan scan = SegmentScan.scan(image.flip(), h, Long.MAX_VALUE);
                if (scan.validEnd < size) {
                    c.truncate(scan.validEnd);
                    truncations.add(new RecoveryReport.Truncation(id, fin, scan.validEnd, size - scan.validEnd,
                            "unsynced segment: " + scan.reason));
                }
                c.force(true);
            }
            Files.move(tmp, fin, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            LogSegment.forceDirectory(dir);
            LogSegment seg = recoverSegment(h, null);
            segments.add(seg);
            lastLsn = seg.lastLsn();
            prevId = id;
            long adoptedId = id;
            clean = truncations.stream().noneMatch(t -> t.segmentId() == adoptedId);
            if (!clean) {
                prevId = Long.MAX_VALUE; // nothing may follow a segment whose tail was cut
            }
        }
    }

    private List<SegmentHeader> readHeaders(List<Long> ids) throws IOException {
        List<SegmentHeader> headers = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            Path file = dir.resolve(LogSegment.fileName(ids.get(i)));
            long size = Files.size(file);
            boolean last = i == ids.size() - 1;
            if (size < SegmentHeader.SIZE && last && i > 0) {
                Files.delete(file);
                removed.add(file);
                ids.remove(i);
                break;
            }
            headers.add(parseHeader(file, ids.get(i), size));
        }
        for (int i = 1; i < headers.size(); i++) {
            if (headers.get(i).firstLsn() < headers.get(i - 1).firstLsn()) {
                throw new WriteLogCorruptException(dir.resolve(LogSegment.fileName(ids.get(i))), 16, "first LSN "
                        + headers.get(i).firstLsn() + " is below first LSN " + headers.get(i - 1).firstLsn() + " of the previous segment");
            }
        }
        return headers;
    }

    private SegmentHeader parseHeader(Path file, long id, long size) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(size, SegmentHeader.SIZE));
        try (FileChannel c = factory.open(file, Set.of(StandardOpenOption.READ))) {
            while (b.hasRemaining() && c.read(b, b.position()) >= 0) {
                // read until full
            }
        }
        SegmentHeader h;
        try {
            h = SegmentHeader.decode(b.flip());
        } catch (IllegalArgumentException e) {
            throw new WriteLogCorruptException(file, 0, e.getMessage() + (size < SegmentHeader.SIZE ? "; first LSN unknown" : ""));
        }
        if (h.segmentId() != id) {
            throw new WriteLogCorruptException(file, 8, "header names segment " + h.segmentId() + " but the file name says " + id);
        }
        return h;
    }

    private LogSegment recoverSegment(SegmentHeader h, SegmentHeader next) throws IOException {
        Path file = dir.resolve(LogSegment.fileName(h.segmentId()));
        LogSegment seg = LogSegment.open(file, h.segmentId(), h.firstLsn(), SegmentHeader.SIZE, h.firstLsn() - 1, factory);
        try {
            long size = seg.channel().size();
            if (size > Integer.MAX_VALUE - 64) {
                throw new WriteLogCorruptException(file, WriteLogConfig.MAX_SEGMENT_SIZE, "file of " + size + " bytes is larger than any segment");
            }
            ByteBuffer image = ByteBuffer.allocate((int) size);
            seg.readFully(image, 0);
            image.flip();
            long limit = next == null ? Long.MAX_VALUE : next.firstLsn() - 1;
            SegmentScan scan = SegmentScan.scan(image, h, limit);
            String cut = next == null ? tailVerdict(file, image, scan, h) : middleVerdict(file, scan, next, limit);
            if (scan.validEnd < size) {
                seg.channel().truncate(scan.validEnd);
                seg.channel().force(true);
                truncations.add(new RecoveryReport.Truncation(h.segmentId(), file, scan.validEnd, size - scan.validEnd, cut));
            }
            for (long[] e : scan.index) {
                seg.maybeIndex(e[0], e[1]);
            }
            seg.advance(scan.validEnd, scan.lastValidLsn);
            return seg;
        } catch (IOException | RuntimeException e) {
            seg.closeQuietly();
            throw e;
        }
    }

    /** Why the tail of the last segment may be cut, or corruption if valid records follow the bad bytes. */
    private static String tailVerdict(Path file, ByteBuffer image, SegmentScan scan, SegmentHeader h) throws WriteLogCorruptException {
        if (scan.stop != SegmentScan.Stop.INVALID) {
            return scan.reason;
        }
        long[] found = SegmentScan.findValidRecordAfter(image, (int) scan.validEnd, scan.lastValidLsn, h.segmentId());
        if (found != null) {
            throw new WriteLogCorruptException(file, scan.validEnd, scan.reason + " at LSN " + (scan.lastValidLsn + 1)
                    + ", but a valid record (LSN " + found[0] + ") follows at byte " + found[1] + ": not a torn tail, refusing to skip it");
        }
        return "torn tail: " + scan.reason;
    }

    /** A segment that is not the last must hold every LSN up to the next segment's first; extra records are superseded. */
    private static String middleVerdict(Path file, SegmentScan scan, SegmentHeader next, long limit) throws WriteLogCorruptException {
        if (scan.lastValidLsn < limit) {
            throw new WriteLogCorruptException(file, scan.validEnd, scan.reason + " after LSN " + scan.lastValidLsn
                    + ", but the next segment " + next.segmentId() + " starts at LSN " + next.firstLsn() + ": LSNs "
                    + (scan.lastValidLsn + 1) + ".." + limit + " are missing");
        }
        return "superseded by segment " + next.segmentId() + " from LSN " + next.firstLsn();
    }
}
