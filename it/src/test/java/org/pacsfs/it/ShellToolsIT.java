package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * Shell tools and PACS-style I/O on a real mount ({@code pacsfs mount} as a child process) over a real S3 server
 * (S3Proxy). Each test works in its own directory of one shared mount; the last checks survive unmount and a mount
 * from an empty cache directory (a new machine).
 */
@WithS3Proxy
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class ShellToolsIT {

    private Path work;
    private Path mnt;
    private Path src;
    private S3TestBucket bucket;
    private PacsfsProcess.Mount mount;

    @BeforeAll
    void mount(S3TestBucket bucket) throws Exception {
        this.bucket = bucket;
        work = WorkDir.fresh("shell-tools");
        Sh.ok(work, "mkdir -p mnt src");
        mnt = work.resolve("mnt");
        src = work.resolve("src");
        mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache1"), "--create");
        // A tree like a PACS study folder: a few hundred files of varied sizes, some empty, nested directories.
        Random random = new Random(42);
        for (int study = 0; study < 3; study++) {
            for (int series = 0; series < 4; series++) {
                Path dir = Files.createDirectories(src.resolve("study " + study).resolve("series-" + series));
                for (int i = 0; i < 25; i++) {
                    byte[] data = new byte[i == 0 ? 0 : random.nextInt(300_000)];
                    random.nextBytes(data);
                    Files.write(dir.resolve("IM" + i + ".dcm"), data);
                }
            }
        }
    }

    @AfterAll
    void unmount() throws Exception {
        if (mount != null) {
            mount.close();
        }
    }

    @Test
    void cpRecursiveInAndOutKeepsEveryByte() throws Exception {
        Sh.ok(work, "cp -r src mnt/copy && cp -r mnt/copy out && diff -r src out && rm -rf out");
        String in = Sh.ok(src, "find . -type f -print0 | sort -z | xargs -0 sha256sum");
        String there = Sh.ok(mnt.resolve("copy"), "find . -type f -print0 | sort -z | xargs -0 sha256sum");
        assertThat(there).isEqualTo(in);
        assertThat(in.lines().count()).isEqualTo(300);
        assertThat(Sh.ok(mnt, "find copy -type f | wc -l").trim()).isEqualTo("300");
    }

    @Test
    void catAppendMoveRemoveLinks() throws Exception {
        Sh.ok(mnt, "mkdir -p basics/a/b/c && cd basics && echo one > a/f && echo two >> a/f && printf three >> a/f");
        assertThat(Sh.ok(mnt, "cat basics/a/f")).isEqualTo("one\ntwo\nthree");
        Sh.ok(mnt, "cd basics && mv a/f a/b/g && mv a/b x && test ! -e a/b && test -f x/g");
        Sh.ok(mnt, "cd basics && ln -s x/g sym && ln x/g hard && test \"$(readlink sym)\" = x/g && cat sym | grep -q three");
        // The new name's count at once; the old name's after the kernel's attribute cache (attr_timeout, 1 s) expired:
        // libfuse 2 gives each name its own kernel inode (docs/SEMANTICS.md, "Hard links").
        assertThat(Sh.ok(mnt, "cd basics && stat -c %h hard").trim()).isEqualTo("2");
        assertThat(Sh.ok(mnt, "cd basics && sleep 1.2 && stat -c %h x/g").trim()).isEqualTo("2");
        // Data written through one name is read through the other (pages are kept across opens only for files with
        // a single name).
        assertThat(Sh.ok(mnt, "cd basics && cat x/g > /dev/null && echo four >> hard && sleep 1.2 && cat x/g")).isEqualTo("one\ntwo\nthreefour\n");
        assertThat(Sh.ok(mnt, "cd basics && find . -samefile x/g | sort")).isEqualTo("./hard\n./x/g\n");
        assertThat(Sh.ok(mnt, "cd basics && stat -c %i hard").trim()).isEqualTo(Sh.ok(mnt, "cd basics && stat -c %i x/g").trim());
        Sh.ok(mnt, "cd basics && rm -r x a && test \"$(ls -A | sort | tr '\\n' ' ')\" = 'hard sym '");
        Sh.ok(mnt, "rm -r basics && test ! -e basics");
    }

    @Test
    void touchChmodDuDfDdTar() throws Exception {
        Sh.ok(mnt, "mkdir misc && cd misc && touch -d '2020-01-02 03:04:05 UTC' t && test \"$(TZ=UTC stat -c %y t)\" = '2020-01-02 03:04:05.000000000 +0000'");
        Sh.ok(mnt, "cd misc && chmod 640 t && test \"$(stat -c %a t)\" = 640");
        Sh.ok(mnt, "cd misc && dd if=/dev/urandom of=d bs=1M count=8 conv=fsync status=none && test \"$(stat -c %s d)\" = 8388608");
        assertThat(Long.parseLong(Sh.ok(mnt, "du -sk misc | cut -f1").trim())).isBetween(8192L, 8300L);
        String df = Sh.ok(mnt, "df -P . | tail -1");
        assertThat(df).startsWith("pacsfs");
        Sh.ok(work, "tar cf tree.tar -C src . && mkdir mnt/misc/untar && tar xf tree.tar -C mnt/misc/untar && diff -r src mnt/misc/untar && rm tree.tar");
    }

    @Test
    void namesWithSpacesUnicodeAndTheLengthLimit() throws Exception {
        Sh.ok(mnt, "mkdir names && cd names && echo a > 'with spaces' && echo b > 'Ünïcødé ✓ 日本' && ls | sort > ../names.txt");
        assertThat(Files.readString(mnt.resolve("names.txt"), StandardCharsets.UTF_8)).isEqualTo("with spaces\nÜnïcødé ✓ 日本\n");
        String n255 = "n".repeat(255);
        Files.writeString(mnt.resolve("names").resolve(n255), "ok");
        assertThat(Files.readString(mnt.resolve("names").resolve(n255))).isEqualTo("ok");
        Sh.Result tooLong = Sh.run(mnt, "touch names/" + "n".repeat(256));
        assertThat(tooLong.exitCode()).isNotZero();
        assertThat(tooLong.output()).contains("File name too long");
        // Not valid UTF-8: refused cleanly (EILSEQ), nothing stored under a mangled name.
        Sh.Result bad = Sh.run(mnt, "touch names/$'bad\\xff'");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.output()).contains("Invalid or incomplete multibyte or wide character");
        assertThat(Sh.ok(mnt, "ls names | wc -l").trim()).isEqualTo("3");
    }

    @Test
    void unlinkWhileOpenThenRemoveTheParent() throws Exception {
        Path dir = Files.createDirectories(mnt.resolve("tmpdir"));
        Path f = dir.resolve("scratch");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("before unlink".getBytes(StandardCharsets.UTF_8)));
            Files.delete(f);
            assertThat(Files.exists(f)).isFalse();
            ch.write(ByteBuffer.wrap(" and after".getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
            ByteBuffer back = ByteBuffer.allocate(100);
            ch.read(back, 0);
            assertThat(new String(back.array(), 0, back.position(), StandardCharsets.UTF_8)).isEqualTo("before unlink and after");
            // No .fuse_hidden file keeps the directory busy (hard_remove).
            Files.delete(dir);
        }
        assertThat(Files.exists(dir)).isFalse();
    }

    @Test
    void exclusiveCreateRaceHasExactlyOneWinner() throws Exception {
        Path dir = Files.createDirectories(mnt.resolve("excl"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 20; round++) {
                Path target = dir.resolve("lock-" + round);
                CountDownLatch go = new CountDownLatch(1);
                AtomicInteger winners = new AtomicInteger();
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    fs.add(pool.submit(() -> {
                        go.await();
                        try {
                            Files.newByteChannel(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                            winners.incrementAndGet();
                        } catch (FileAlreadyExistsException expected) {
                            // lost the race
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : fs) {
                    f.get();
                }
                assertThat(winners.get()).as("round %d", round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
        // And from two processes, as two PACS workers would (O_CREAT|O_EXCL through the shell's noclobber).
        String out = Sh.ok(dir, "for i in $(seq 1 20); do (set -C; : > p$i) 2>/dev/null & (set -C; : > p$i) 2>/dev/null & wait; done; ls p* | wc -l");
        assertThat(out.trim()).isEqualTo("20");
    }

    @Test
    void dicomSeriesWrittenWithFsyncThenStudyDeletedWithItsParents() throws Exception {
        Path series = Files.createDirectories(mnt.resolve("pacs/2026/11/24/study-1/series-1"));
        Random random = new Random(7);
        List<byte[]> written = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            byte[] data = new byte[512 * 1024];
            random.nextBytes(data);
            written.add(data);
            try (FileChannel ch = FileChannel.open(series.resolve("IM" + i + ".dcm"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(data));
                ch.force(true);
            }
        }
        for (int i = 0; i < 100; i++) {
            assertThat(Files.readAllBytes(series.resolve("IM" + i + ".dcm"))).isEqualTo(written.get(i));
        }
        long freeBefore = Files.getFileStore(mnt).getUsableSpace();
        // A PACS deleting a study: the files, then every parent that became empty.
        Sh.ok(mnt, "rm pacs/2026/11/24/study-1/series-1/*.dcm && rmdir -p pacs/2026/11/24/study-1/series-1");
        assertThat(Files.exists(mnt.resolve("pacs"))).isFalse();
        assertThat(Files.getFileStore(mnt).getUsableSpace()).isGreaterThan(freeBefore);
    }

    @Test
    void statusReportsFromTheRunningMount() throws Exception {
        PacsfsProcess.Result r = PacsfsProcess.run(null, Duration.ofSeconds(60), "status", mnt.toString(), "--json");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("\"location\":\"s3://" + bucket.name() + "/\"").contains("\"readOnly\":false")
                .contains("\"pid\":" + mount.process.pid());
    }

    /** Runs last (JUnit orders methods deterministically but not by name; this one does not depend on the others' data). */
    @Test
    void everythingSurvivesUnmountAndAMountFromAnEmptyCacheDirectory() throws Exception {
        Sh.ok(mnt, "mkdir survive && cp -r ../src survive/tree && echo tail >> survive/tree/'study 0'/series-0/IM1.dcm");
        String before = Sh.ok(mnt.resolve("survive"), "find . -print0 | sort -z | xargs -0 stat -c '%n %s %a %Y' && find . -type f -print0 | sort -z | xargs -0 sha256sum");
        mount.unmount();
        mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache1"));
        assertThat(Sh.ok(mnt.resolve("survive"), "find . -print0 | sort -z | xargs -0 stat -c '%n %s %a %Y' && find . -type f -print0 | sort -z | xargs -0 sha256sum"))
                .isEqualTo(before);
        mount.unmount();
        // A new machine: an empty cache directory, everything comes from the bucket.
        mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache2"));
        assertThat(Sh.ok(mnt.resolve("survive"), "find . -print0 | sort -z | xargs -0 stat -c '%n %s %a %Y' && find . -type f -print0 | sort -z | xargs -0 sha256sum"))
                .isEqualTo(before);
    }

    static void write(Path p, byte[] data) throws IOException {
        Files.write(p, data);
    }
}
