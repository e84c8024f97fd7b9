package org.pacsfs.packaging;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Shell commands as an administrator types them (bash -c); failures carry the command's output. */
final class Sh {

    private Sh() {
    }

    record Result(int exitCode, String output) {
    }

    static Result run(Path cwd, Map<String, String> env, String script) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -o pipefail; " + script).directory(cwd.toFile())
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + script);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static Result run(Path cwd, String script) throws Exception {
        return run(cwd, Map.of(), script);
    }

    /** Runs {@code script} and returns its output; fails the test if it exits non-zero. */
    static String ok(Path cwd, Map<String, String> env, String script) throws Exception {
        Result r = run(cwd, env, script);
        if (r.exitCode() != 0) {
            throw new AssertionError("exit " + r.exitCode() + " from: " + script + "\n" + r.output());
        }
        return r.output();
    }

    static String ok(Path cwd, String script) throws Exception {
        return ok(cwd, Map.of(), script);
    }

    /** Single-quoted for bash. */
    static String q(Object s) {
        return "'" + s.toString().replace("'", "'\\''") + "'";
    }
}
