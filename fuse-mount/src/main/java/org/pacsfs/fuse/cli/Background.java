package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.pacsfs.fuse.MountTable;

/**
 * Background mounts: the JVM cannot fork, so the mount re-runs itself as a child process with {@code --foreground}
 * (same JVM, same options), its output going to a log file, and this process returns once the kernel shows the mount
 * (exit 0) or the child has exited (exit 1, with the child's last line). {@code mount(8)} and fstab expect this.
 *
 * <p>Under systemd (an fstab line or a {@code .mount} unit runs {@code mount.pacsfs}), standard output and error are
 * the journal, and {@code JOURNAL_STREAM} names that stream: then the child keeps them, so the mount's log lands in
 * the journal under the mount unit ({@code journalctl -u mnt-pacs.mount}) rather than in a file under /tmp.
 */
final class Background {

    private static final long STARTUP_TIMEOUT_MS = 180_000;

    private Background() {
    }

    static int start(Path mountPoint) throws CliException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(Main.arguments());
        command.add("--foreground");
        ProcessBuilder child = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (stderrIsTheJournal(System.getenv("JOURNAL_STREAM"))) {
            child.redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
            return awaitMount(child, mountPoint, "in the journal",
                    () -> "the mount process exited; its log is in the journal, above this line");
        }
        Path log;
        try {
            Path dir = Directories.createPrivate(Path.of(System.getProperty("java.io.tmpdir"), "pacsfs-" + System.getProperty("user.name")));
            log = dir.resolve("mount" + mountPoint.toString().replace('/', '_') + ".log");
        } catch (IOException e) {
            throw new CliException("cannot create the log directory for the background mount: " + e.getMessage());
        }
        child.redirectErrorStream(true).redirectOutput(log.toFile());
        return awaitMount(child, mountPoint, log.toString(), () -> lastLine(log) + " (log: " + log + ")");
    }

    /** Starts the child and returns 0 once its mount is there; fails with {@code whyExited} if the child exits first. */
    private static int awaitMount(ProcessBuilder builder, Path mountPoint, String logWhere, Supplier<String> whyExited)
            throws CliException, InterruptedException {
        Process child;
        try {
            child = builder.start();
        } catch (IOException e) {
            throw new CliException("cannot start the mount process: " + e.getMessage());
        }
        long deadline = System.currentTimeMillis() + STARTUP_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (!child.isAlive()) {
                throw new CliException(whyExited.get());
            }
            if (MountTable.isFuseMount(mountPoint) && !MountTable.isStale(mountPoint)) {
                System.out.println("pacsfs: mounted at " + mountPoint + " (process " + child.pid() + ", log " + logWhere
                        + "); unmount with: pacsfs unmount " + mountPoint);
                return 0;
            }
            Thread.sleep(100);
        }
        child.destroy();
        throw new CliException("the mount did not appear within " + STARTUP_TIMEOUT_MS / 1000 + " s; see the log " + logWhere);
    }

    /**
     * Whether standard error is the journal stream systemd announced: {@code JOURNAL_STREAM} is "DEVICE:INODE" of it
     * (systemd.exec(5)), and a child process may have inherited the variable with other descriptors, so it is compared
     * with what descriptor 2 really is.
     */
    static boolean stderrIsTheJournal(String journalStream) {
        if (journalStream == null || !journalStream.matches("\\d+:\\d+")) {
            return false;
        }
        String[] devIno = journalStream.split(":");
        try {
            Path fd2 = Path.of("/proc/self/fd/2");
            long dev = ((Number) Files.getAttribute(fd2, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(fd2, "unix:ino")).longValue();
            return Long.parseUnsignedLong(devIno[0]) == dev && Long.parseUnsignedLong(devIno[1]) == ino;
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            return false;
        }
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String l = lines.get(i).trim();
                if (l.startsWith("pacsfs:")) {
                    return l.substring("pacsfs:".length()).trim();
                }
            }
            return lines.isEmpty() ? "the mount process exited" : "the mount process exited: " + lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "the mount process exited";
        }
    }
}
