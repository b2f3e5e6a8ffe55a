package org.kexecsim.routine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a .S file through the system C preprocessor the way the kernel's build does
 * (scripts/Makefile.build: {@code $(CC) -E -x assembler-with-cpp}, with {@code -D__ASSEMBLY__}
 * from Makefile's KBUILD_AFLAGS), so a routine with #include and #define reaches the assembler
 * as plain AT&T text. GNU cpp's line markers ({@code # N "file"}) are kept: {@code #} starts a
 * comment for x86 GNU as, and {@link Output#origin(int)} maps an output line back to the user's
 * file and line.
 */
public final class CPreprocessor {
  /** The compiler driver; gcc's -E is what Kbuild uses (cpp alone lacks -x assembler-with-cpp on some hosts). */
  private static final String DRIVER = "gcc";
  private static final long TIMEOUT_SECONDS = 60;
  /** The most preprocessed text taken: as much as a text file read whole (TextFile.MAX_BYTES). */
  static final long MAX_OUTPUT_BYTES = org.kexecsim.files.TextFile.MAX_BYTES;
  /**
   * cc1's address-space limit, in KiB (ulimit -v): it reads an #include whole before writing a
   * byte, so {@code #include "/dev/zero"} would grow until the kernel's OOM killer stops it (or
   * something else on the machine); 2 GiB is far beyond what preprocessing any routine needs.
   */
  private static final long CPP_ADDRESS_SPACE_KIB = 2L << 20;

  private CPreprocessor() {}

  /** -D and -I options to pass through, in order. */
  public record Options(List<String> defines, List<Path> includes) {
    public static final Options NONE = new Options(List.of(), List.of());

    public Options {
      defines = List.copyOf(defines);
      includes = List.copyOf(includes);
    }
  }

  /** The preprocessed text and where each of its lines came from. */
  public record Output(String text, List<String> origins) {
    /** "FILE:LINE" for a 1-based line of {@link #text}, or "line N" when cpp gave no marker. */
    public String origin(int line) {
      return line >= 1 && line <= origins.size() ? origins.get(line - 1) : "line " + line;
    }

    /** The line number in its own file of a 1-based line of {@link #text}. */
    public int sourceLine(int line) {
      String o = origin(line);
      try {
        return Integer.parseInt(o.substring(o.lastIndexOf(':') + 1));
      } catch (NumberFormatException e) {
        return line;
      }
    }
  }

  /** Whether a file name asks for preprocessing: GNU as and Kbuild run cpp on .S, not on .s. */
  public static boolean wantsPreprocessing(Path file) {
    return file.getFileName().toString().endsWith(".S");
  }

  public static Output run(Path source, Options options) {
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", "ulimit -v " + CPP_ADDRESS_SPACE_KIB + " 2>/dev/null; exec \"$@\"", "sh",
        DRIVER, "-E", "-x", "assembler-with-cpp", "-D__ASSEMBLY__"));
    for (String d : options.defines()) {
      cmd.add("-D" + d);
    }
    for (Path i : options.includes()) {
      cmd.add("-I" + i);
    }
    cmd.add(source.toString());
    Process p;
    try {
      p = new ProcessBuilder(cmd).start();
    } catch (IOException e) {
      throw new RoutineRejected(source + ": cannot run the C preprocessor (" + DRIVER + " -E): " + e.getMessage(), e);
    }
    try {
      p.getOutputStream().close();
      // read stderr on the side so a chatty cpp cannot block on a full pipe
      var err = new java.util.concurrent.CompletableFuture<byte[]>();
      Thread.ofVirtual().start(() -> {
        try {
          // bounded like stdout: a warning on every line of a large include can run to gigabytes
          var in = p.getErrorStream();
          byte[] head = in.readNBytes(64 << 10);
          in.transferTo(java.io.OutputStream.nullOutputStream());
          err.complete(head);
        } catch (IOException e) {
          err.complete(new byte[0]);
        }
      });
      // stdout too, bounded, so that the deadline holds even while cpp is still writing
      var outFuture = new java.util.concurrent.CompletableFuture<byte[]>();
      Thread.ofVirtual().start(() -> {
        try {
          outFuture.complete(p.getInputStream().readNBytes((int) MAX_OUTPUT_BYTES + 1));
        } catch (IOException e) {
          outFuture.completeExceptionally(e);
        }
      });
      byte[] out;
      try {
        out = outFuture.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        kill(p);
        throw new RoutineRejected(source + ": the C preprocessor did not finish in " + TIMEOUT_SECONDS + " s");
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      }
      if (out.length > MAX_OUTPUT_BYTES) {
        kill(p);
        throw new RoutineRejected(String.format("%s: the C preprocessor wrote more than %d MiB (a macro that expands without end?)",
            source, MAX_OUTPUT_BYTES >> 20));
      }
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        kill(p);
        throw new RoutineRejected(source + ": the C preprocessor did not finish in " + TIMEOUT_SECONDS + " s");
      }
      String errors = new String(err.join(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new RoutineRejected(firstError(source, errors, p.exitValue()));
      }
      String text = new String(out, StandardCharsets.UTF_8);
      return new Output(text, origins(text, source));
    } catch (IOException e) {
      throw new RoutineRejected(source + ": reading the C preprocessor's output: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      kill(p);
      Thread.currentThread().interrupt();
      throw new RoutineRejected(source + ": interrupted while preprocessing", e);
    }
  }

  /** gcc, and cc1 under it, which would otherwise run on after its driver is killed. */
  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  /** cpp's first "error" line (FILE:LINE:COL: error: ...), else its first line. */
  static String firstError(Path source, String stderr, int status) {
    String first = null;
    for (String line : stderr.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      if (first == null) {
        first = line.strip();
      }
      if (line.contains("error")) {
        return line.strip();
      }
    }
    if (first == null) {
      return source + ": the C preprocessor failed with status " + status;
    }
    // a line about the driver, not a place in a file ("gcc: fatal error: Killed signal ..."): say which file
    return first.startsWith(DRIVER + ":") || first.startsWith("cc1:") ? source + ": the C preprocessor failed: " + first : first;
  }

  /** Follows GNU cpp line markers: {@code # LINE "FILE" FLAGS...}. */
  static List<String> origins(String text, Path source) {
    List<String> out = new ArrayList<>();
    String file = source.toString();
    int line = 1;
    for (String l : text.split("\n", -1)) {
      var m = MARKER.matcher(l);
      if (m.matches()) {
        out.add(file + ":" + line);
        file = m.group(2);
        line = Integer.parseInt(m.group(1));
        continue;
      }
      out.add(file + ":" + line);
      line++;
    }
    return out;
  }

  private static final java.util.regex.Pattern MARKER = java.util.regex.Pattern.compile("^# (\\d+) \"([^\"]*)\".*$");
}
