package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * readdir: a 100,000-entry directory lists completely in small batches; entries not touched during a listing appear
 * exactly once while others are added and removed between readdir calls, also across the index's renumbering of a
 * directory's cookies after many removals; listings stay right after a crash (renumbering replays identically).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReaddirTest {
    @TempDir
    Path dir;

    /** Lists {@code path} from offset 0 in batches of {@code max}; every name must come exactly once. */
    private static List<String> listAll(LocalFileSystem fs, String path, int max) throws FsException {
        long dh = fs.opendir(path);
        try {
            List<String> names = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            long off = 0;
            while (true) {
                List<DirEntry> batch = fs.readdir(dh, off, max);
                if (batch.isEmpty()) {
                    return names;
                }
                assertThat(batch.size()).isLessThanOrEqualTo(max);
                for (DirEntry e : batch) {
                    assertThat(seen.add(e.name())).as("%s listed twice", e.name()).isTrue();
                    names.add(e.name());
                }
                long next = batch.get(batch.size() - 1).nextOffset();
                assertThat(next).as("nextOffset must move forward").isGreaterThan(off);
                off = next;
            }
        } finally {
            fs.releasedir(dh);
        }
    }

    @Test
    void hundredThousandEntriesListCompletely() throws Exception {
        int n = 100_000;
        FsConfig cfg = FsConfig.defaults(dir).withIndexSize(150_000, 1_000_000);
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            fs.mkdir("/big", 0755, Caller.ROOT);
            // hard links (to 4 files: a file has at most 65000) keep the inode count small
            for (int i = 0; i < 4; i++) {
                fs.release(fs.create("/big/f" + i, 0644, OpenFlags.O_WRONLY, Caller.ROOT));
            }
            for (int i = 4; i < n; i++) {
                fs.link("/big/f" + (i % 4), "/big/f" + i);
            }
            assertThat(fs.getattr("/big/f0").nlink()).isEqualTo(n / 4);
            long t0 = System.nanoTime();
            List<String> names = listAll(fs, "/big", 100);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(names).hasSize(n + 2);
            Set<String> want = new HashSet<>();
            for (int i = 0; i < n; i++) {
                want.add("f" + i);
            }
            want.add(".");
            want.add("..");
            assertThat(new HashSet<>(names)).isEqualTo(want);
            assertThat(ms).as("listing 100,000 entries in batches of 100 took %d ms", ms).isLessThan(20_000);
            // one big batch too
            assertThat(listAll(fs, "/big", 1_000_000)).hasSize(n + 2);
        }
    }

    @Test
    void untouchedEntriesAppearOnceWhileOthersComeAndGo() throws Exception {
        FsConfig cfg = FsConfig.defaults(dir).withIndexSize(10_000, 100_000);
        Random rnd = new Random(42);
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            fs.mkdir("/d", 0755, Caller.ROOT);
            Set<String> stable = new TreeSet<>();
            List<String> churn = new ArrayList<>();
            // interleave stable and churn names so that removals leave holes all over the cookie space
            for (int i = 0; i < 3000; i++) {
                String name = (i % 3 == 0 ? "s" : "c") + i;
                fs.release(fs.create("/d/" + name, 0644, OpenFlags.O_WRONLY, Caller.ROOT));
                (i % 3 == 0 ? stable : churn).add(name);
            }
            Set<String> present = new HashSet<>(stable);
            present.addAll(churn);
            Set<String> ever = new HashSet<>(present);
            for (int round = 0; round < 3; round++) {
                long dh = fs.opendir("/d");
                Map<String, Integer> seen = new HashMap<>();
                Set<String> touched = new HashSet<>();
                long off = 0;
                int added = 0;
                while (true) {
                    List<DirEntry> batch = fs.readdir(dh, off, 37);
                    if (batch.isEmpty()) {
                        break;
                    }
                    for (DirEntry e : batch) {
                        seen.merge(e.name(), 1, Integer::sum);
                    }
                    off = batch.get(batch.size() - 1).nextOffset();
                    // between calls: remove some churn entries (enough to trigger renumbering), add new ones
                    for (int k = 0; k < 25 && !churn.isEmpty(); k++) {
                        String victim = churn.remove(rnd.nextInt(churn.size()));
                        fs.unlink("/d/" + victim);
                        present.remove(victim);
                        touched.add(victim);
                    }
                    for (int k = 0; k < 3; k++) {
                        String name = "n" + round + "-" + added++;
                        fs.release(fs.create("/d/" + name, 0644, OpenFlags.O_WRONLY, Caller.ROOT));
                        present.add(name);
                        ever.add(name);
                        touched.add(name);
                        if (rnd.nextInt(4) == 0) {
                            churn.add(name); // some new entries are removed again later
                        }
                    }
                }
                fs.releasedir(dh);
                for (String s : stable) {
                    assertThat(seen.get(s)).as("round %d: stable entry %s", round, s).isEqualTo(1);
                }
                for (Map.Entry<String, Integer> e : seen.entrySet()) {
                    assertThat(e.getValue()).as("round %d: %s", round, e.getKey()).isEqualTo(1);
                    assertThat(e.getKey().equals(".") || e.getKey().equals("..") || ever.contains(e.getKey()))
                            .as("round %d: %s was never in the directory", round, e.getKey()).isTrue();
                    // an entry removed before this listing started must not show up
                    assertThat(present.contains(e.getKey()) || touched.contains(e.getKey()) || e.getKey().startsWith("."))
                            .as("round %d: %s was removed before the listing", round, e.getKey()).isTrue();
                }
                // a fresh listing shows exactly the current entries
                Set<String> now = new HashSet<>(listAll(fs, "/d", 64));
                now.remove(".");
                now.remove("..");
                assertThat(now).as("round %d: listing after the changes", round).isEqualTo(present);
            }
            assertThat(churn.size()).as("the test removed most churn entries (renumbering happened)").isLessThan(300);
            fs.crashForTesting();
        }
        // replaying the log (including the renumbering) gives the same directory
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            Set<String> now = new HashSet<>(listAll(fs, "/d", 50));
            now.remove(".");
            now.remove("..");
            assertThat(fs.getattr("/d").nlink()).isEqualTo(2);
            // new entries after a replayed renumbering get fresh, unique cookies
            for (int i = 0; i < 200; i++) {
                fs.release(fs.create("/d/after" + i, 0644, OpenFlags.O_WRONLY, Caller.ROOT));
            }
            Set<String> after = new HashSet<>(listAll(fs, "/d", 50));
            after.remove(".");
            after.remove("..");
            Set<String> want = new HashSet<>(now);
            for (int i = 0; i < 200; i++) {
                want.add("after" + i);
            }
            assertThat(after).isEqualTo(want);
            assertThat(now).hasSizeGreaterThan(1000);
        }
    }

    @Test
    void listingReflectsRemovalsThatRenumberAndSurvivesReopen() throws Exception {
        FsConfig cfg = FsConfig.defaults(dir).withIndexSize(10_000, 100_000);
        Set<String> want = new TreeSet<>();
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            fs.mkdir("/r", 0755, Caller.ROOT);
            for (int i = 0; i < 1000; i++) {
                fs.release(fs.create("/r/e" + i, 0644, OpenFlags.O_WRONLY, Caller.ROOT));
            }
            // remove 900 of them (holes > 64 and > live: the directory is renumbered at least once)
            for (int i = 0; i < 1000; i++) {
                if (i % 10 != 7) {
                    fs.unlink("/r/e" + i);
                } else {
                    want.add("e" + i);
                }
            }
            // a handle opened and partly read before more renumbering: finishing it lists every survivor once
            long dh = fs.opendir("/r");
            List<DirEntry> first = fs.readdir(dh, 0, 40);
            Set<String> seen = new HashSet<>();
            first.forEach(e -> assertThat(seen.add(e.name())).isTrue());
            for (int i = 0; i < 1000; i += 10) {
                // churn: add and remove entries so the directory renumbers again under the open handle
                for (int k = 0; k < 80; k++) {
                    fs.release(fs.create("/r/t" + k, 0644, OpenFlags.O_WRONLY, Caller.ROOT));
                }
                for (int k = 0; k < 80; k++) {
                    fs.unlink("/r/t" + k);
                }
            }
            long off = first.get(first.size() - 1).nextOffset();
            while (true) {
                List<DirEntry> b = fs.readdir(dh, off, 40);
                if (b.isEmpty()) {
                    break;
                }
                b.forEach(e -> assertThat(seen.add(e.name())).as("%s twice", e.name()).isTrue());
                off = b.get(b.size() - 1).nextOffset();
            }
            fs.releasedir(dh);
            seen.remove(".");
            seen.remove("..");
            assertThat(seen).containsAll(want);
            assertThat(new TreeSet<>(listAll(fs, "/r", 33))).isEqualTo(withDots(want));
        }
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            assertThat(fs.recoveryInfo().indexTrusted()).isTrue();
            assertThat(new TreeSet<>(listAll(fs, "/r", 33))).isEqualTo(withDots(want));
            fs.crashForTesting();
        }
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            assertThat(fs.recoveryInfo().indexTrusted()).isFalse();
            assertThat(new TreeSet<>(listAll(fs, "/r", 33))).isEqualTo(withDots(want));
        }
    }

    private static Set<String> withDots(Set<String> s) {
        Set<String> out = new TreeSet<>(s);
        out.add(".");
        out.add("..");
        return out;
    }
}
