package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * Bad input at the edges, through the mount and back from the bucket on a new machine: sizes around the chunk size,
 * sparse files with large holes, a 20 GiB sparse truncate, hostile names, a directory with many entries
 * (-Dpacsfs.it.bigDirEntries, default 5,000; the reliability run uses 100,000).
 */
@WithS3Proxy
@Timeout(900)
class EdgesIT {

    private static final int BIG_DIR = Integer.getInteger("pacsfs.it.bigDirEntries", 5000);
    private static final int CHUNK = 4 << 20;

    @Test
    void sizesHolesNamesAndBigDirectoriesSurviveTheRoundTrip(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("edges");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Random random = new Random(11);
        List<Integer> sizes = List.of(0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 17);
        byte[][] contents = new byte[sizes.size()][];
        List<String> names = List.of("tab\there", "new\nline", "ctrl\u0001char", "-starts-with-dash", " leading space",
                "trailing space ", "...", "quote\"and'apostrophe", "back\\slash", "percent%20", "ü".repeat(127));
        try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create")) {
            for (int i = 0; i < sizes.size(); i++) {
                contents[i] = new byte[sizes.get(i)];
                random.nextBytes(contents[i]);
                Files.write(mnt.resolve("size-" + sizes.get(i)), contents[i]);
            }
            try (FileChannel ch = FileChannel.open(mnt.resolve("sparse"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap("head".getBytes()), 0);
                ch.write(ByteBuffer.wrap("tail".getBytes()), 10L << 30); // a 10 GiB hole
                ch.force(true);
            }
            try (FileChannel ch = FileChannel.open(mnt.resolve("truncated"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap("x".getBytes()));
            }
            Sh.ok(mnt, "truncate -s 20G truncated");
            for (String n : names) {
                Files.writeString(mnt.resolve(n), n);
            }
            Path big = Files.createDirectories(mnt.resolve("big-directory"));
            for (int i = 0; i < BIG_DIR; i++) {
                Files.createFile(big.resolve("IM" + i));
            }
            check(mnt, sizes, contents, names);
            mount.unmount();
        }
        try (PacsfsProcess.Mount reader = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-fresh"), "--read-only")) {
            check(mnt, sizes, contents, names);
            reader.unmount();
        }
    }

    private static void check(Path mnt, List<Integer> sizes, byte[][] contents, List<String> names) throws Exception {
        for (int i = 0; i < sizes.size(); i++) {
            assertThat(Arrays.equals(Files.readAllBytes(mnt.resolve("size-" + sizes.get(i))), contents[i])).as("size %d", sizes.get(i)).isTrue();
        }
        assertThat(Files.size(mnt.resolve("sparse"))).isEqualTo((10L << 30) + 4);
        try (FileChannel ch = FileChannel.open(mnt.resolve("sparse"))) {
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, (10L << 30) - 4);
            assertThat(b.array()).containsExactly(0, 0, 0, 0, 't', 'a', 'i', 'l');
            ByteBuffer middle = ByteBuffer.allocate(1 << 20);
            ch.read(middle, 5L << 30);
            assertThat(middle.array()).containsOnly(0);
        }
        assertThat(Files.size(mnt.resolve("truncated"))).isEqualTo(20L << 30);
        assertThat(Sh.ok(mnt, "head -c 1 truncated; dd if=truncated bs=1M skip=20479 count=1 status=none | tr -d '\\0' | wc -c").trim())
                .isEqualTo("x0");
        for (String n : names) {
            assertThat(Files.readString(mnt.resolve(n))).isEqualTo(n);
        }
        Set<String> listed = new HashSet<>();
        try (Stream<Path> s = Files.list(mnt.resolve("big-directory"))) {
            s.forEach(p -> listed.add(p.getFileName().toString()));
        }
        assertThat(listed).hasSize(BIG_DIR).contains("IM0", "IM" + (BIG_DIR - 1));
    }
}
