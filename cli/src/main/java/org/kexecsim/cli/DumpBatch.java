package org.kexecsim.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.input.RejectedInput;
import picocli.CommandLine;

/**
 * Many dumps in one JVM: what the analysis commands take for IMAGE, expanded, and the loop that
 * runs one analysis per dump, so a failing dump is reported and the batch goes on.
 *
 * <p>An IMAGE argument is a dump file (or split parts joined with ':'), a directory (its regular
 * files, by name, not descending), or {@code @FILE}: one path per line, blank lines and lines
 * starting with '#' ignored, relative paths against the list's directory.
 *
 * <p>With {@code --jsonl} each dump gives one compact JSON object on its own line, written and
 * flushed as soon as that dump is done, then one summary line; a dump that fails gives an object
 * with {@code "error"}, its exit code and its class instead. Every line starts with {@code "dump"}: its path. The process exits with the worst code.
 */
final class DumpBatch {
  static final String SUMMARY_FORMAT = "kexec-sim/batch-summary/v1";
  private static final ObjectWriter COMPACT = ReportJson.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

  private DumpBatch() {}

  /**
   * What one dump's analysis produced: its exit code, its JSON document (for {@code --jsonl} and
   * failures), its text (as printed otherwise); or that it failed. {@link JsonOutput.Batch#outcome}
   * builds only the one that is printed.
   */
  record Outcome(int exitCode, ObjectNode json, String text, boolean failed) {
    Outcome(int exitCode, ObjectNode json, String text) {
      this(exitCode, json, text, false);
    }
  }

  /** One analysis of one dump (or of one pair, for verify-pgd --pairs). */
  @FunctionalInterface
  interface Job<T> {
    Outcome run(T item) throws Exception;
  }

  /** A list file or directory that cannot be read or holds nothing. */
  static final class BadImageList extends RuntimeException implements RejectedInput {
    BadImageList(String message) {
      super(message);
    }
  }

  /** The dumps {@code args} name, in order. */
  static List<Path> expand(List<Path> args) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path a : args) {
      String s = a.toString();
      if (s.startsWith("@") && !Files.exists(a)) {
        Path list = Path.of(s.substring(1));
        if (!Files.exists(list)) {
          throw new BadImageList(list + ": no such list file (an @FILE argument names a file with one dump per line)");
        }
        Path base = list.toAbsolutePath().getParent();
        List<Path> named = new ArrayList<>();
        for (String line : org.kexecsim.files.TextFile.read(list).lines().toList()) { // a regular file of bounded size
          String t = line.strip();
          if (!t.isEmpty() && !t.startsWith("#")) {
            Path p = Path.of(t);
            named.add(p.isAbsolute() || base == null ? p : base.resolve(p));
          }
        }
        if (named.isEmpty()) {
          throw new BadImageList(list + ": the list names no dump");
        }
        out.addAll(named);
      } else if (Files.isDirectory(a)) {
        try (Stream<Path> files = Files.list(a)) {
          List<Path> inDir = files.filter(Files::isRegularFile).sorted().toList();
          if (inDir.isEmpty()) {
            throw new BadImageList(a + ": the directory holds no file");
          }
          out.addAll(inDir);
        }
      } else {
        out.add(a);
      }
    }
    return out;
  }

  /** Whether {@code args} is more than one plain dump (so output is per dump). */
  static boolean isBatch(List<Path> args, List<Path> expanded) {
    return expanded.size() > 1 || args.stream().anyMatch(DumpBatch::namesMany);
  }

  /** Whether an argument is a directory or an {@code @LIST} rather than one dump. */
  static boolean namesMany(Path arg) {
    return Files.isDirectory(arg) || arg.toString().startsWith("@") && !Files.exists(arg);
  }

  /**
   * What an analysis command does with its IMAGE arguments: one plain dump without {@code
   * --jsonl} prints that dump's text and returns its exit code, failures propagating as for any
   * command; anything else is a {@link #run batch}.
   */
  static int execute(CommandLine cl, List<Path> args, boolean jsonl, String command, Job<Path> job) throws Exception {
    List<Path> all = expand(args);
    if (jsonl || isBatch(args, all)) {
      return run(cl, all, jsonl, command, job);
    }
    Outcome o = job.run(all.getFirst());
    cl.getOut().print(o.text());
    return o.exitCode();
  }

  /**
   * Runs {@code job} on each image: as JSON Lines ({@code jsonl}), else as text with a {@code
   * ==> IMAGE <==} header per dump and each failure's one line on stderr. Returns the worst exit code.
   */
  static int run(CommandLine cl, List<Path> images, boolean jsonl, String command, Job<Path> job) {
    return run(cl, images, Path::toString, jsonl, command, job);
  }

  /** {@link #run} over any items, each named by {@code name} in the output. */
  static <T> int run(CommandLine cl, List<T> images, java.util.function.Function<T, String> name, boolean jsonl, String command, Job<T> job) {
    PrintWriter out = cl.getOut();
    PrintWriter err = cl.getErr();
    int worst = ExitCode.OK;
    int ok = 0;
    int failed = 0;
    for (T item : images) {
      String image = name.apply(item);
      Outcome o;
      try {
        o = job.run(item);
      } catch (CommandLine.ParameterException e) {
        o = failure(image, ExitCode.USAGE, e.getMessage());
      } catch (Exception e) {
        int code = Main.failureCode(e);
        o = failure(image, code, Main.failureMessage(e, code));
      } catch (OutOfMemoryError | StackOverflowError e) {
        o = failure(image, ExitCode.INTERNAL, e.getClass().getName() + " while reading this dump");
      }
      worst = Math.max(worst, o.exitCode());
      boolean error = o.failed();
      if (error) {
        failed++;
      } else {
        ok++;
      }
      if (jsonl) {
        ObjectNode line = ReportJson.MAPPER.createObjectNode();
        line.put("dump", image); // first, so a reader can tell the dumps apart at a glance
        line.setAll(o.json());
        out.println(compact(line));
      } else if (error) {
        err.println("kexec-sim: " + o.json().get("error").asText());
        err.flush();
      } else {
        out.println("==> " + image + " <==");
        out.print(o.text());
      }
      out.flush(); // streamed: a reader sees each dump as soon as it is done
    }
    if (jsonl) {
      ObjectNode s = ReportJson.object(SUMMARY_FORMAT);
      s.put("command", command);
      s.put("dumps", images.size());
      s.put("ok", ok);
      s.put("failed", failed);
      s.put("exitCode", worst);
      out.println(compact(s));
      out.flush();
    }
    return worst;
  }

  /** The error object of a dump that failed, with its exit code and what class of failure it is. */
  static Outcome failure(String image, int code, String message) {
    String line = message.lines().findFirst().orElse(message);
    String first = line.startsWith(image) ? line : image + ": " + line;
    ObjectNode n = ReportJson.MAPPER.createObjectNode();
    n.put("dump", image);
    n.put("error", first);
    n.put("exitCode", code);
    n.put("errorClass", switch (code) {
      case ExitCode.USAGE -> "usage";
      case ExitCode.BAD_INPUT -> "bad-input";
      case ExitCode.IO -> "io";
      default -> "internal";
    });
    return new Outcome(code, n, "", true);
  }

  static String compact(ObjectNode n) {
    try {
      return COMPACT.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain nodes always serialises", e);
    }
  }
}
