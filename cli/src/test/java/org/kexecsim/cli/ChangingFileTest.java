package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.Workers;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.DumpFiles;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Issue 15 item 3: a dump truncated by another process while it is mapped faults on the next read
 * of a lost page (SIGBUS, which the JVM raises as an InternalError); the command line says which
 * file changed, in one line, exit 4, instead of an internal error. The truncation happens between
 * the open and the reads, on the main thread and on a worker thread.
 */
class ChangingFileTest {
  @TempDir static Path dir;

  /** Opens the dump as every analysis command does, truncates it, then reads the pages it lost. */
  @Command(name = "shrink")
  static final class Shrinking implements Callable<Integer> {
    @CommandLine.Parameters Path file;
    @CommandLine.Option(names = "--worker") boolean worker;

    @Override
    public Integer call() throws Exception {
      try (Dump d = DumpFiles.open(List.of(file), Optional.empty(), null)) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
          ch.truncate(8192);
        }
        long sum = 0;
        if (worker) {
          sum = Workers.map(List.of(1L << 20, 2L << 20), 2, "read", a -> d.physicalMemory().readU64(a)).size();
        } else {
          for (long a = 0; a < 16 << 20; a += 4096) {
            sum += d.physicalMemory().readU64(a);
          }
        }
        return (int) (sum & 0); // never reached: the reads fault
      }
    }
  }

  @Test
  void aDumpThatShrinksWhileReadIsExit4NamingTheFile() throws Exception {
    for (boolean worker : new boolean[] {false, true}) {
      Path f = dir.resolve("dump-" + worker + ".core");
      RamMap map = RamMap.ofSize(16 << 20);
      SparseMemory m = new SparseMemory(map);
      byte[] data = new byte[16 << 20];
      new Random(3).nextBytes(data);
      m.write(0, data, 0, data.length);
      ElfCoreWriter.write(m, CoreSpec.qemu(ElfClass.ELF64, PrStatus.Arch.X86_64, map.ranges(), List.of(), Optional.empty()), f, false);
      long size = Files.size(f);
      CommandLine cl = new CommandLine(new Main());
      cl.addSubcommand(new Shrinking());
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      List<String> args = worker ? List.of("shrink", "--worker", f.toString()) : List.of("shrink", f.toString());
      int code = Main.execute(cl, args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
      assertEquals(4, code, err.toString());
      assertEquals("kexec-sim: " + f.toAbsolutePath() + ": changed while it was read (it was " + size
          + " bytes, it is now 8192); the results would be incomplete\n", err.toString());
    }
  }

  /**
   * The BLAKE3 lanes (Blake3Vector, through the Vector API) and the C library (Blake3Native) must
   * never load from the file mapping themselves: a file truncated under them, once C2 has compiled
   * the lanes, must end as the same exit 4, not as a JVM crash. In a child JVM, since a crash there
   * would take the test JVM with it; once with the C library (where the script builds it, exit 0:
   * kdump-analyzer's build runs it too; the probe says the library was mapped) and once without it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"true", "false"})
  void aDumpThatShrinksUnderTheCompiledBlake3LanesIsExit4(String nativeLibrary) throws Exception {
    boolean withLibrary = Boolean.parseBoolean(nativeLibrary);
    if (withLibrary) {
      Path script = Path.of("..", "scripts", "build-blake3.sh").toAbsolutePath().normalize();
      Process build = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true).start();
      String said = new String(build.getInputStream().readAllBytes()).trim();
      org.junit.jupiter.api.Assumptions.assumeTrue(build.waitFor() == 0, said);
    }
    long size = (256L + 8) << 20; // from 256 MiB the image is hashed through the lanes (ImageChecksum.LANES_FROM)
    Path f = dir.resolve("lanes-native-" + nativeLibrary + ".img");
    ChildProbe.writeRandom(f, size, 5);
    ChildProbe p = ChildProbe.run(dir, "lanes-native-" + nativeLibrary,
        List.of("-Dkexecsim.blake3.native=" + nativeLibrary, "--add-modules", "jdk.incubator.vector", "-Xmn24m"),
        ShrinkingBlake3Probe.class, f.toString(), Long.toString(size));
    String stderr = p.err().lines().filter(l -> !l.startsWith("WARNING: Using incubator modules"))
        .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
    assertEquals(4, p.exit(), stderr + p.out());
    assertEquals("kexec-sim: " + f.toAbsolutePath() + ": changed while it was read (it was " + size
        + " bytes, it is now 8192); the results would be incomplete\n", stderr);
    assertEquals("libblake3.so mapped: " + withLibrary + "\nexit 4\n", p.out());
  }
}
