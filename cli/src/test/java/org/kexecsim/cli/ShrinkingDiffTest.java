package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.diff.DiffOptions;
import org.kexecsim.analyzer.diff.ImageDiff;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.DumpFiles;
import org.kexecsim.dump.DumpFormat;
import org.kexecsim.memory.RamMap;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * diff compares two file mappings without ever loading from them in native code: an image
 * truncated by another process between two compares, once the JIT has compiled the compare,
 * ends as exit 4 naming the file (ChangingFileTest's wording), not as a JVM killed by SIGBUS
 * (libc's memcmp on the mapping did that). In a child JVM, since a crash would take the test JVM
 * with it.
 */
class ShrinkingDiffTest {
  @TempDir Path dir;

  /** Diffs the pair until compiled, truncates B, diffs again, through the CLI's error handling. */
  @Command(name = "shrink-diff")
  static final class Shrinking implements Callable<Integer> {
    @CommandLine.Parameters(index = "0") Path a;
    @CommandLine.Parameters(index = "1") Path b;
    @CommandLine.Parameters(index = "2") long size;

    @Override
    public Integer call() throws Exception {
      try (Dump da = DumpFiles.open(List.of(a), Optional.of(DumpFormat.RAW), RamMap.ofSize(size));
          Dump db = DumpFiles.open(List.of(b), Optional.of(DumpFormat.RAW), RamMap.ofSize(size))) {
        for (int warm = 0; warm < 6; warm++) {
          ImageDiff.diff(da.physicalMemory(), db.physicalMemory(), DiffOptions.NONE);
        }
        try (FileChannel ch = FileChannel.open(b, StandardOpenOption.WRITE)) {
          ch.truncate(8192);
        }
        ImageDiff.diff(da.physicalMemory(), db.physicalMemory(), DiffOptions.NONE);
        return 0; // not reached: the compare past 8 KiB faults
      }
    }
  }

  /** The child JVM's entry: prints the exit code; the command's stderr goes to stderr. */
  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new Main());
    cl.addSubcommand(new Shrinking());
    PrintWriter err = new PrintWriter(System.err, true);
    int code = Main.execute(cl, new String[] {"shrink-diff", args[0], args[1], args[2]}, new PrintWriter(System.out, true), err);
    err.flush();
    System.out.println("exit " + code);
    System.exit(code);
  }

  @Test
  void anImageThatShrinksUnderTheCompiledCompareIsExit4() throws Exception {
    long size = 160L << 20; // three 64 MiB chunks
    Path a = dir.resolve("a.img");
    Path b = dir.resolve("b.img");
    ChildProbe.writeRandom(a, size, 11);
    Files.copy(a, b);
    ChildProbe p = ChildProbe.run(dir, "probe", List.of(), ShrinkingDiffTest.class, a.toString(), b.toString(), Long.toString(size));
    assertEquals(4, p.exit(), p.err() + p.out());
    assertEquals("kexec-sim: " + b.toAbsolutePath() + ": changed while it was read (it was " + size
        + " bytes, it is now 8192); the results would be incomplete\n", p.err());
  }
}
