package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pacsfs.fuse.MountTable;

/**
 * Background mounts: the JVM cannot fork, so the mount re-runs itself as a child process with {@code --foreground}
 * (same JVM, same options), its output going to a log file, and this process returns once the kernel shows the mount
 * (exit 0) or the child has exited (exit 1, with the child's last line). {@code mount(8)} and fstab expect this.
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
        Path log;
        try {
            Path dir = Directories.createPrivate(Path.of(System.getProperty("java.io.tmpdir"), "pacsfs-" + System.getProperty("user.name")));
            log = dir.resolve("mount" + mountPoint.toString().replace('/', '_') + ".log");
        } catch (IOException e) {
            throw new CliException("cannot create the log directory for the background mount: " + e.getMessage());
        }
        Process child;
        try {
            child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new CliException("cannot start the mount process: " + e.getMessage());
        }
        long deadline = System.currentTimeMillis() + STARTUP_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (!child.isAlive()) {
                throw new CliException(lastLine(log) + " (log: " + log + ")");
            }
            if (MountTable.isFuseMount(mountPoint) && !MountTable.isStale(mountPoint)) {
                System.out.println("pacsfs: mounted at " + mountPoint + " (process " + child.pid() + ", log " + log
                        + "); unmount with: pacsfs unmount " + mountPoint);
                return 0;
            }
            Thread.sleep(100);
        }
        child.destroy();
        throw new CliException("the mount did not appear within " + STARTUP_TIMEOUT_MS / 1000 + " s; see " + log);
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
