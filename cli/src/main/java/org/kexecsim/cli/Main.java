package org.kexecsim.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.util.List;
import org.kexecsim.dump.MappedFiles;
import org.kexecsim.files.IoFailure;
import org.kexecsim.input.RejectedInput;
import org.kexecsim.output.OutputException;
import org.kexecsim.output.OutputSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code kexec-sim} command. Each subcommand is a {@code Callable<Integer>} returning an
 * {@link ExitCode}; results go to stdout, diagnostics to stderr.
 *
 * <p>Errors map to exit codes in one place, here: exceptions implementing {@link RejectedInput}
 * (any module's domain exception for bad input) print their one-line message and exit 3; I/O
 * errors exit 4; anything else is a bug: one line and exit 70 (set KEXEC_SIM_DEBUG=1 for the
 * stack trace).
 */
@Command(
    name = "kexec-sim",
    versionProvider = Main.Version.class,
    description = {
      "Simulates the x86 kexec/kdump crash transition on a model of the MMU and CPU,",
      "and analyzes memory dumps."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:ok",
      "1:negative verdict (not preserved, images differ, a translation faulted)",
      "2:bad usage",
      "3:bad input (corrupt dump, impossible RAM map, refused segments)",
      "4:I/O error",
      "70:internal bug"
    })
public final class Main extends CliCommand implements Runnable {
  /** 128 + SIGINT, what a shell reports for a command ended by ^C. */
  static final int SIGINT = 130;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  public static void main(String[] args) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      // the one run that needs nothing else: no picocli model (hundreds of classes), no hook
      for (String line : new Version().getVersion()) {
        System.out.println(line);
      }
      if (System.out.checkError()) { // as every other run
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(stdoutFailed(fd1IsPipe(), err));
      }
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(Main::onSignal, "kexec-sim-signal"));
    stdoutIsPipe = fd1IsPipe();
    int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    finished = true;
    System.exit(code);
  }

  /** Set by main when the process's own stdout is a pipe (never for a writer a caller passes in). */
  private static boolean stdoutIsPipe;

  /** Set when main has its exit code: the shutdown hook then stays quiet. */
  private static volatile boolean finished;
  /** Set by the shutdown hook on SIGINT/SIGTERM: the command's own failures are then not reported. */
  private static volatile boolean interrupted;

  /**
   * The shutdown hook: on a signal (SIGINT, SIGTERM, SIGHUP; the JVM then exits 128+signal, 130
   * for SIGINT) every output in progress is abandoned, its temporary files removed, and one line
   * says so. The main thread keeps running meanwhile; {@link #interrupted} silences it.
   */
  private static void onSignal() {
    if (finished) {
      return;
    }
    interrupted = true;
    java.util.List<java.nio.file.Path> left = OutputSet.abandonAll();
    System.err.println("kexec-sim: interrupted" + (left.isEmpty() ? ""
        : "; the unfinished output was removed and " + String.join(", ", left.stream().map(Object::toString).toList())
            + " left as it was"));
    System.err.flush();
  }

  /** Runs the command line with the given streams; returns the exit code. Tests call this. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    return execute(commandLine(args), args, out, err);
  }

  /**
   * The subcommands, in help order. Built lazily: picocli reflects over every registered command
   * class when the CommandLine is made, about a third of a short run's time, so a run that names
   * a subcommand registers only that one and a bare {@code --version} none; anything else (help,
   * a typo picocli suggests a fix for) gets them all.
   */
  private static final List<String> SUBCOMMANDS = List.of("demo", "transition", "translate", "asm", "cpu", "uml",
      "prepare", "vtop", "ptdump", "rd", "ptov", "info", "verify-pgd", "diff", "checksum", "dmesg", "robustness");

  /** A switch, not a map of constructor references: each of those would spin a lambda class at start-up. */
  private static Object subcommand(String name) {
    return switch (name) {
      case "demo" -> new DemoCommand();
      case "transition" -> new TransitionCommand();
      case "translate" -> new TranslateCommand();
      case "asm" -> new AsmCommand();
      case "cpu" -> new CpuCommand();
      case "uml" -> new UmlCommand();
      case "prepare" -> new PrepareCommand();
      case "vtop" -> new VtopCommand();
      case "ptdump" -> new PtdumpCommand();
      case "rd" -> new RdCommand();
      case "ptov" -> new PtovCommand();
      case "info" -> new InfoCommand();
      case "verify-pgd" -> new VerifyPgdCommand();
      case "diff" -> new DiffCommand();
      case "checksum" -> new ChecksumCommand();
      case "dmesg" -> new DmesgCommand();
      case "robustness" -> new RobustnessCommand();
      default -> throw new IllegalArgumentException("no subcommand " + name);
    };
  }

  /** The command line for {@code args}, with the subcommands those args can reach. */
  static CommandLine commandLine(String[] args) {
    CommandLine cl = new CommandLine(new Main());
    String first = args.length > 0 ? args[0] : "";
    if (SUBCOMMANDS.contains(first)) {
      cl.addSubcommand(first, subcommand(first));
    } else if (!(args.length == 1 && (first.equals("--version") || first.equals("-V")))) {
      for (String name : SUBCOMMANDS) {
        cl.addSubcommand(name, subcommand(name));
      }
    }
    return cl;
  }

  /**
   * Runs {@code cl}. picocli hands only Exceptions to the execution-exception handler; an Error
   * (a StackOverflowError, an InternalError from a truncated mapped file, an OutOfMemoryError)
   * would escape with a long stack trace, so it is caught here last: one line, exit 70.
   */
  static int execute(CommandLine cl, String[] args, PrintWriter out, PrintWriter err) {
    try {
      return run(cl, args, out, err);
    } catch (Error e) {
      if (interrupted) {
        return SIGINT;
      }
      var changed = MappedFiles.explain(e);
      if (changed.isPresent()) {
        err.println("kexec-sim: " + changed.get().getMessage());
        err.flush();
        return ExitCode.IO;
      }
      err.println("kexec-sim: internal error: " + e.getClass().getName()
          + (e.getMessage() == null ? "" : ": " + firstLine(e.getMessage()))
          + (System.getenv("KEXEC_SIM_DEBUG") == null ? " (set KEXEC_SIM_DEBUG=1 for the stack trace)" : ""));
      if (System.getenv("KEXEC_SIM_DEBUG") != null) {
        e.printStackTrace(err);
      }
      err.flush();
      return ExitCode.INTERNAL;
    }
  }

  /** The exit code of a command that threw {@code ex}: a dump that changed while mapped is I/O. */
  static int failureCode(Exception ex) {
    return MappedFiles.explain(ex).isPresent() ? ExitCode.IO : exitCodeFor(ex);
  }

  /** The one line (without "kexec-sim: ") that says what {@code ex} was, for exit code {@code code}. */
  static String failureMessage(Exception ex, int code) {
    var changed = MappedFiles.explain(ex);
    if (changed.isPresent()) {
      return changed.get().getMessage();
    }
    String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    if (code == ExitCode.IO || hasCause(ex, java.nio.charset.CharacterCodingException.class)) {
      message = IoFailure.describe(ex).orElse(message); // path and reason, whatever Java put in the message
    }
    if (ex instanceof OutputException o && o.kind() == OutputException.Kind.EXISTS) {
      message += " (--force replaces it)";
    }
    return message;
  }

  private static int run(CommandLine cl, String[] args, PrintWriter out, PrintWriter err) {
    cl.setOut(out);
    cl.setErr(err);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // @FILE names a list of dumps (DumpBatch), read by the commands themselves, with paths
    // relative to the list; picocli's own @-expansion would splice its lines in as arguments.
    cl.setExpandAtFiles(false);
    // Bad usage is one line naming what is wrong and where help is, not a page of usage text.
    cl.setParameterExceptionHandler(
        (ex, badArgs) -> {
          err.println("kexec-sim: " + firstLine(ex.getMessage())
              + " (see: " + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
          err.flush();
          return ExitCode.USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (interrupted) {
            return SIGINT; // the shutdown hook has said what happened
          }
          int code = failureCode(ex);
          String message = failureMessage(ex, code);
          String prefix = code == ExitCode.INTERNAL ? "kexec-sim: internal error: " : "kexec-sim: ";
          err.println(prefix + firstLine(message));
          if (System.getenv("KEXEC_SIM_DEBUG") != null) {
            ex.printStackTrace(err);
          }
          err.flush();
          return code;
        });
    int code = cl.execute(args);
    out.flush();
    // PrintWriter never throws: a failed write to stdout (a full disk, /dev/full, a closed pipe)
    // only shows in checkError(), and the output the user asked for is incomplete
    if (out.checkError()) {
      code = stdoutFailed(stdoutIsPipe, err);
    }
    err.flush();
    return code;
  }

  /**
   * The exit code of a run whose stdout could not be written: a pipe fails a write only when its
   * reader went away (`| head`), which ends quietly with the status a shell reports for a C tool
   * that SIGPIPE ended (128 + 13); anything else (a full disk, /dev/full) is exit 4 with one line.
   */
  private static int stdoutFailed(boolean pipe, PrintWriter err) {
    if (pipe) {
      return ExitCode.READER_GONE;
    }
    err.println("kexec-sim: standard output: write failed (disk full or the reader closed it); the output is incomplete");
    err.flush();
    return ExitCode.IO;
  }

  /** Whether fd 1 is a pipe (Linux names it "pipe:[inode]" in /proc/self/fd). */
  private static boolean fd1IsPipe() {
    try {
      return java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/1")).toString().startsWith("pipe:");
    } catch (java.io.IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  static int exitCodeFor(Throwable ex) {
    if (hasCause(ex, java.nio.charset.CharacterCodingException.class)) {
      return ExitCode.BAD_INPUT; // a text file that is not text: the input is bad, the I/O was fine
    }
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof RejectedInput) {
        return ExitCode.BAD_INPUT;
      }
      if (t instanceof IOException || t instanceof UncheckedIOException || t instanceof FileSystemException) {
        return ExitCode.IO;
      }
    }
    return ExitCode.INTERNAL;
  }

  private static boolean hasCause(Throwable ex, Class<? extends Throwable> kind) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (kind.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The version from the jar manifest, or "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {
        "kexec-sim " + (v == null ? "dev" : v),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}
