package org.kexecsim.uml.mode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.isa.Assembler;
import org.kexecsim.uml.host.HostArch;

/** The stub routines assemble to the bytes GNU as makes of the same source (as --64/--32, objcopy). */
class StubCodeTest {
  static Stream<Arguments> routines() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (HostArch a : HostArch.values()) {
      b.add(Arguments.of(a, "stub 2005", StubCode.stub2005(a)));
      b.add(Arguments.of(a, "handler 2005", StubCode.handler(a, false)));
      b.add(Arguments.of(a, "stub today", StubCode.stubToday(a)));
      b.add(Arguments.of(a, "handler today", StubCode.handler(a, true)));
      b.add(Arguments.of(a, "clone today", StubCode.cloneToday(a)));
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("routines")
  void bytesAreGnuAsBytes(HostArch arch, String what, String source) throws Exception {
    assumeTrue(onPath("as") && onPath("objcopy"), "GNU binutils are not installed");
    int bits = arch.wordSize() * 8;
    byte[] ours = Assembler.assemble(source, bits).bytes();
    byte[] gas = gnuAs(source, bits);
    assertTrue(ours.length > 10, what);
    assertArrayEquals(gas, ours, what + ": ours " + HexFormat.of().formatHex(ours) + "\nGNU as " + HexFormat.of().formatHex(gas));
  }

  static byte[] gnuAs(String source, int bits) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("stub-gas");
    Files.writeString(dir.resolve("in.S"), source);
    run(dir, "as", "--" + bits, "-o", "out.o", "in.S");
    run(dir, "objcopy", "-O", "binary", "-j", ".text", "out.o", "out.bin");
    byte[] b = Files.readAllBytes(dir.resolve("out.bin"));
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    return b;
  }

  private static void run(Path dir, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }
}
