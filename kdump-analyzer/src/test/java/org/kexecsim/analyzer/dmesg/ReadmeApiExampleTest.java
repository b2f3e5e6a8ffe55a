package org.kexecsim.analyzer.dmesg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.SimulatedMachine;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.mmu.PagingMode;

/**
 * The README's Java API example, taken from the README itself, compiled with javac against the
 * project's classes and run in another JVM on a vmcore written here: the documented API works
 * from a program of someone else's, and the README stays true.
 */
class ReadmeApiExampleTest {
  @TempDir Path tmp;

  static Path readme() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("README.md")) && Files.isDirectory(d.resolve("kdump-analyzer"))) {
        return d.resolve("README.md");
      }
    }
    throw new AssertionError("no README.md above " + Path.of("").toAbsolutePath());
  }

  @Test
  void theReadmeExampleCompilesAndRunsInAnotherJvm() throws Exception {
    String readme = Files.readString(readme());
    Matcher m = Pattern.compile("<!-- api-example: DumpReport\\.java -->\\s*```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertTrue(m.find(), "README has the marked example");
    Path src = Files.createDirectories(tmp.resolve("src")).resolve("DumpReport.java");
    Files.writeString(src, m.group(1));

    PagingMode mode = PagingMode.LEVEL4;
    SimulatedMachine machine = SimulatedMachine.build(mode, 3);
    long direct = SimulatedMachine.pageOffset(mode);
    var info = SyntheticRing.write(machine.memory(), direct, 0x40_0000, List.of("Linux version 6.1.0-example", "hello from the api example"), 1_000_000_000L)
        .osRelease("6.1.0-example").symbol("init_top_pgt", RootTableFinder.START_KERNEL_MAP + machine.cr3()).number("phys_base", 0).build();
    Path vmcore = machine.writeVmcore(tmp.resolve("vmcore"), ElfClass.ELF64, info);
    Path other = machine.writeVmcore(tmp.resolve("vmcore-again"), ElfClass.ELF64, info);

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    Path classes = Files.createDirectories(tmp.resolve("classes"));
    String cp = System.getProperty("java.class.path");
    int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", cp, src.toString());
    assertEquals(0, rc, "javac compiles the README example");

    String javaBin = ProcessHandle.current().info().command().orElse("java");
    String va = Long.toHexString(direct + 0x40_0000);
    Process p = new ProcessBuilder(javaBin, "-cp", classes + java.io.File.pathSeparator + cp, "DumpReport",
        vmcore.toString(), va, other.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("0x" + va + " -> 0x400000 (1G page)"), out);
    assertTrue(out.contains("[    1.001000] hello from the api example\n"), out);
    assertTrue(out.contains("page tables preserved in " + other + ": true"), out);
    assertTrue(out.contains("identical: true"), out);
    assertTrue(out.contains("sha256:") && out.contains("image (all ranges, in address order)"), out);
  }
}
