package org.pacsfs.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Shell commands as users run them (bash -c), in a working directory; failures carry the command's output. */
final class Sh {

    private Sh() {
    }

    record Result(int exitCode, String output) {
    }

    static Result run(Path cwd, String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "set -o pipefail; " + script).directory(cwd.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + script);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs {@code script} and returns its output; fails the test if it exits non-zero. */
    static String ok(Path cwd, String script) throws Exception {
        Result r = run(cwd, script);
        if (r.exitCode() != 0) {
            throw new AssertionError("exit " + r.exitCode() + " from: " + script + "\n" + r.output());
        }
        return r.output();
    }
}
