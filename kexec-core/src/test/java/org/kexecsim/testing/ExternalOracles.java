package org.kexecsim.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Python oracles (python3-drgn, python3-libkdumpfile) run as small scripts. They are
 * installed for the system interpreter, /usr/bin/python3, which a python3 earlier on PATH (pyenv,
 * a virtualenv) does not see, so that one is preferred.
 */
public final class ExternalOracles {
  private static final long TIMEOUT_S = 120;

  private ExternalOracles() {}

  public static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  /**
   * Debian's i386 makedumpfile, the only build that reads i386 and PAE vmcores (the amd64 one
   * refuses them): {@code KSIM_MAKEDUMPFILE_I386}, else where scripts/real-dump-inputs.sh unpacks
   * it ({@code $KSIM_CACHE/makedumpfile-i386/usr/bin/makedumpfile}); empty unless it runs (it needs
   * libc6, libdw1, libelf1, liblzo2-2 and zlib1g for i386, which .ci/run installs).
   */
  public static java.util.Optional<Path> makedumpfileI386() {
    String set = System.getenv("KSIM_MAKEDUMPFILE_I386");
    Path p = set != null && !set.isEmpty() ? Path.of(set)
        : Path.of(System.getenv().getOrDefault("KSIM_CACHE", "/var/cache/kexec-sim"), "makedumpfile-i386/usr/bin/makedumpfile");
    if (!Files.isExecutable(p)) {
      return java.util.Optional.empty();
    }
    try {
      Process v = new ProcessBuilder(p.toString(), "-v").redirectErrorStream(true).start();
      v.getInputStream().readAllBytes();
      return v.waitFor(30, TimeUnit.SECONDS) && v.exitValue() == 0 ? java.util.Optional.of(p) : java.util.Optional.empty();
    } catch (IOException e) {
      return java.util.Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    }
  }

  /** Whether {@code import module} works in {@link #python()}. */
  public static boolean python3Module(String module) {
    try {
      python3("import " + module);
      return true;
    } catch (AssertionError | RuntimeException e) {
      return false;
    }
  }

  /** Runs {@code script} with {@code args} (sys.argv[1:]) and returns its stdout; fails with its stderr. */
  public static String python3(String script, String... args) {
    List<String> cmd = new ArrayList<>(List.of(python(), "-c", script));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
      p.getOutputStream().close();
      if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("python3 oracle did not finish in " + TIMEOUT_S + " s: " + script);
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new AssertionError("python3 oracle failed (exit " + p.exitValue() + "): " + err + "\nscript: " + script);
      }
      return out;
    } catch (IOException e) {
      throw new AssertionError("cannot run " + python() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
