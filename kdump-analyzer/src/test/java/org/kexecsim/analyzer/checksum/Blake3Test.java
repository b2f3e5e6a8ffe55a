package org.kexecsim.analyzer.checksum;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.bouncycastle.crypto.digests.Blake3Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.Progress;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.RawImage;
import org.kexecsim.memory.RamMap;

/**
 * Oracles: the BLAKE3 team's official test vectors, Bouncy Castle's BLAKE3 (an independent
 * implementation) and b3sum. Every path is checked: chunk by chunk, the vector lanes, the C
 * library ({@link Blake3Native}), and the parallel subtrees of {@link ImageChecksum}.
 */
class Blake3Test {
  /**
   * The first 32 bytes of the "hash" outputs of test_vectors/test_vectors.json in
   * github.com/BLAKE3-team/BLAKE3, by input length; input byte i is i mod 251.
   */
  private static final Map<Integer, String> OFFICIAL = new TreeMap<>(Map.ofEntries(
      Map.entry(0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"),
      Map.entry(1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"),
      Map.entry(1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11"),
      Map.entry(1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"),
      Map.entry(1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"),
      Map.entry(2048, "e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a"),
      Map.entry(2049, "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030"),
      Map.entry(3072, "b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd2"),
      Map.entry(3073, "7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3"),
      Map.entry(4096, "015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969"),
      Map.entry(4097, "9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb995"),
      Map.entry(5120, "9cadc15fed8b5d854562b26a9536d9707cadeda9b143978f319ab34230535833"),
      Map.entry(5121, "628bd2cb2004694adaab7bbd778a25df25c47b9d4155a55f8fbd79f2fe154cff"),
      Map.entry(6144, "3e2e5b74e048f3add6d21faab3f83aa44d3b2278afb83b80b3c35164ebeca205"),
      Map.entry(6145, "f1323a8631446cc50536a9f705ee5cb619424d46887f3c376c695b70e0f0507f"),
      Map.entry(7168, "61da957ec2499a95d6b8023e2b0e604ec7f6b50e80a9678b89d2628e99ada77a"),
      Map.entry(7169, "a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e7817"),
      Map.entry(8192, "aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a63"),
      Map.entry(8193, "bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b"),
      Map.entry(16384, "f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde4"),
      Map.entry(31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47"),
      Map.entry(102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085")));

  @TempDir Path dir;

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  private static byte[] oracle(byte[] data) {
    Blake3Digest d = new Blake3Digest(256);
    d.update(data, 0, data.length);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return out;
  }

  /** The engines that run here: an absent one would fall back to the next and repeat its test. */
  private static List<Blake3.Engine> presentEngines() {
    return Arrays.stream(Blake3.Engine.values()).filter(Blake3.Engine::present).toList();
  }

  @Test
  void everyLengthAroundBlockChunkAndSubtreeEdgesMatchesTheOracle() {
    int[] lengths = {0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 3073, 8192, 16 * 1024 - 1, 16 * 1024,
        16 * 1024 + 1, 17 * 1024, 31 * 1024 + 5, 64 * 1024 + 1, 1 << 20, (1 << 20) + 1000};
    for (Blake3.Engine engine : presentEngines()) {
      for (int n : lengths) {
        byte[] data = random(n, n);
        Blake3.Hasher h = new Blake3.Hasher(engine);
        h.update(data, 0, n);
        assertArrayEquals(oracle(data), h.finish(), "length " + n + ", " + engine);
      }
    }
  }

  @Test
  void anySplitOfTheInputGivesTheSameDigest() {
    byte[] data = random(300_000, 7);
    byte[] expected = oracle(data);
    for (Blake3.Engine engine : presentEngines()) {
      SplittableRandom r = new SplittableRandom(3);
      for (int trial = 0; trial < 20; trial++) {
        Blake3.Hasher h = new Blake3.Hasher(engine);
        for (int off = 0; off < data.length; ) {
          int n = Math.min(data.length - off, r.nextInt(1, 40_000));
          h.update(data, off, n);
          off += n;
        }
        assertArrayEquals(expected, h.finish(), "trial " + trial + ", " + engine);
      }
    }
  }

  @Test
  void subtreesHashedApartAndPushedInOrderGiveTheWholeDigest() {
    int sub = 64 * 1024; // 64 chunks
    byte[] data = random(5 * sub + 777, 9);
    MemorySegment s = MemorySegment.ofArray(data);
    for (Blake3.Engine engine : presentEngines()) {
      Blake3.Hasher h = new Blake3.Hasher(engine);
      for (int k = 0; k < 5; k++) {
        h.pushSubtree(Blake3.subtree(s, (long) k * sub, 64, k * 64L, engine), 64);
      }
      h.update(s, 5L * sub, 777);
      assertArrayEquals(oracle(data), h.finish(), engine.toString());
    }
  }

  @Test
  void aSubtreeIsAPowerOfTwoOfChunksUpTo4Mib() {
    MemorySegment s = MemorySegment.ofArray(new byte[1024]);
    for (int chunks : new int[] {0, 3, 8192, 1 << 28, Integer.MIN_VALUE}) {
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> Blake3.subtree(s, 0, chunks, 0));
      assertEquals("a subtree holds a power of two of chunks up to 4096, not " + chunks, e.getMessage());
    }
  }

  @Test
  void aFileOfSeveralSubtreesMatchesB3sum() throws Exception {
    byte[] data = random(9 * (1 << 20) + 12345, 11);
    Path f = Files.write(dir.resolve("data"), data);
    String b3sum = ImageChecksumTest.tool("b3sum", f.toString()).split("\\s+")[0];
    Blake3.Hasher h = new Blake3.Hasher();
    h.update(data, 0, data.length);
    assertEquals(b3sum, HexFormat.of().formatHex(h.finish()));
  }

  private static String hex(Blake3.Hasher h, byte[] data) {
    h.update(data, 0, data.length);
    return HexFormat.of().formatHex(h.finish());
  }

  /**
   * Never skipped: no tool needed. Every engine present (each one absent falls back to the next),
   * since the lanes hash whole subtrees of 32 chunks or more here and the C library any.
   */
  @Test
  void theOfficialTestVectorsHashAsPublished() {
    for (Map.Entry<Integer, String> v : OFFICIAL.entrySet()) {
      byte[] input = new byte[v.getKey()];
      for (int i = 0; i < input.length; i++) {
        input[i] = (byte) (i % 251);
      }
      for (Blake3.Engine engine : presentEngines()) {
        assertEquals(v.getValue(), hex(new Blake3.Hasher(engine), input), "length " + v.getKey() + ", " + engine);
      }
    }
  }

  /** The launcher, surefire and JMH add the module; without it the lanes test below would compare the scalar code with itself. */
  @Test
  void theVectorApiModuleIsPresentInTheTestJvm() {
    assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "surefire's argLine lacks --add-modules jdk.incubator.vector");
  }

  @Test
  void theLanesEqualTheScalarCodeOnWholeSubtreesWhateverTheCounter() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Blake3Lanes.AVAILABLE, "no 256-bit vectors on this CPU");
    byte[] data = random(4096 * 1024, 13);
    MemorySegment s = MemorySegment.ofArray(data);
    // counters that straddle 2^32 inside a group exercise the high counter word of each lane
    for (long counter : new long[] {0, 4096, (1L << 32) - 8, 1L << 33, 5L << 40}) {
      for (int chunks = 2 * Blake3Lanes.lanes(); chunks <= 4096; chunks *= 2) {
        assertArrayEquals(Blake3.scalarSubtree(s, 0, chunks, counter), Blake3.subtree(s, 0, chunks, counter, Blake3.Engine.LANES),
            chunks + " chunks from counter " + counter);
      }
    }
  }

  /**
   * kdump-analyzer's build runs scripts/build-blake3.sh before the tests (its pom); where the script
   * says it can build the library (exit 0; exit 1 and one line when gcc, the sources or a 1.x
   * release are missing), the library must then load, or every test of it here would pass on
   * the Java paths unseen.
   */
  @Test
  void theCLibraryLoadsWhereverItCanBeBuilt() throws Exception {
    Path script = Path.of("..", "scripts", "build-blake3.sh").toAbsolutePath().normalize();
    String[] where = run("sh", script.toString(), "--path");
    assertEquals("0", where[0], where[1]);
    assertEquals(Blake3Native.libraryPath().toString(), where[1], "the script and Blake3Native look in different places");
    String[] build = run("sh", script.toString());
    org.junit.jupiter.api.Assumptions.assumeTrue(build[0].equals("0"), build[1] + "; " + Blake3Native.STATUS);
    assertEquals(where[1], build[1]);
    assertTrue(Blake3Native.AVAILABLE, Blake3Native.STATUS);
    assertEquals(Blake3.Engine.NATIVE, Blake3.Engine.best());
  }

  /** Its exit code and its output (stdout and stderr), trimmed. */
  private static String[] run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    return new String[] {Integer.toString(p.waitFor()), out};
  }

  /** The JDK's names of the two architectures the script builds for, as {@code uname -m} prints them. */
  @Test
  void theLibraryDirectoryIsNamedAsUnameNamesTheMachine() {
    assertEquals("x86_64", Blake3Native.machine("amd64"));
    assertEquals("aarch64", Blake3Native.machine("aarch64"));
    assertEquals("riscv64", Blake3Native.machine("riscv64"));
  }

  /** A file that is not a library where the C library should be: the Java paths, the same digest, no failure. */
  @Test
  void aBrokenLibraryFallsBackToJava() throws Exception {
    Path bad = Files.writeString(dir.resolve("libblake3.so"), "not a shared library\n");
    String javaBin = ProcessHandle.current().info().command().orElseThrow();
    Path out = dir.resolve("native-probe.out");
    Process p = new ProcessBuilder(javaBin, "-Dkexecsim.blake3.library=" + bad, "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), Blake3NativeProbe.class.getName())
        .redirectOutput(out.toFile()).redirectError(dir.resolve("native-probe.err").toFile()).start();
    if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      org.junit.jupiter.api.Assertions.fail("the probe did not end in 120 s");
    }
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("native-probe.err")));
    String[] lines = Files.readString(out).split("\n");
    assertEquals("false", lines[0]);
    assertTrue(lines[1].startsWith(bad + " does not load: "), lines[1]);
    assertEquals(hex(new Blake3.Hasher(Blake3.Engine.CHUNKS), Blake3LanesProbe.input()), lines[2]);
  }

  /** Every subtree size from one chunk, counters across the high word, and a source at an odd offset. */
  @Test
  void theCLibraryEqualsTheScalarCodeOnWholeSubtreesWhateverTheCounter() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Blake3Native.AVAILABLE, Blake3Native.STATUS);
    byte[] data = random(4096 * 1024 + 3, 17);
    MemorySegment s = MemorySegment.ofArray(data);
    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      MemorySegment off = arena.allocate(data.length);
      off.copyFrom(s);
      for (long counter : new long[] {0, 4096, (1L << 32) - 8, 1L << 33, 5L << 40}) {
        for (int chunks = 1; chunks <= 4096; chunks *= 2) {
          int[] expected = Blake3.scalarSubtree(s, 3, chunks, counter);
          assertArrayEquals(expected, Blake3.subtree(s, 3, chunks, counter, Blake3.Engine.NATIVE),
              chunks + " chunks from counter " + counter + ", heap");
          assertArrayEquals(expected, Blake3.subtree(off, 3, chunks, counter, Blake3.Engine.NATIVE),
              chunks + " chunks from counter " + counter + ", native memory");
        }
      }
    }
  }

  /**
   * b3sum of raw files of awkward sizes equals every path: chunk by chunk, the lanes, the C
   * library, and ImageChecksum's parallel 4 MiB subtrees (sizes above 4 MiB) on one and two threads.
   */
  @Test
  void rawFilesOfAwkwardSizesMatchB3sumOnEveryPath() throws Exception {
    int kib = 1024;
    int mib = 1024 * kib;
    int[] sizes = {0, 1, 1023, 1024, 1025, 64 * kib - 1, 64 * kib, 64 * kib + 1, 3 * kib, 100 * kib + 7, 31 * mib / 8,
        4 * mib, 4 * mib + 1, 8 * mib, 9 * mib + 12345, 12 * mib - 1, 4097 * kib};
    for (int n : sizes) {
      byte[] data = random(n, 1000 + n);
      Path f = Files.write(dir.resolve("raw-" + n), data);
      String b3sum = ImageChecksumTest.tool("b3sum", f.toString()).split("\\s+")[0];
      for (Blake3.Engine engine : presentEngines()) {
        assertEquals(b3sum, hex(new Blake3.Hasher(engine), data), n + " bytes, " + engine);
      }
      if (n == 0) {
        continue; // a raw image holds at least a page
      }
      try (Dump raw = RawImage.open(f, RamMap.ofSize(n))) {
        for (int threads : new int[] {1, 2}) {
          for (Blake3.Engine engine : presentEngines()) {
            byte[] d = ImageChecksum.digest(raw.physicalMemory(), raw.physicalMemory().ramMap().ranges(), DigestAlgorithm.BLAKE3,
                threads, Progress.NONE, engine);
            assertEquals(b3sum, HexFormat.of().formatHex(d), n + " bytes, ImageChecksum on " + threads + " threads, " + engine);
          }
        }
        ChecksumReport r = ImageChecksum.compute(raw.physicalMemory(), DigestAlgorithm.BLAKE3);
        assertEquals(b3sum, r.image(), n + " bytes, the public entry");
      }
    }
  }

  /**
   * The eight-lane code of CPUs without AVX-512, in a child JVM limited to 256-bit vectors: a
   * whole digest and a subtree whose counters cross 2^32, each against the scalar code here.
   */
  @Test
  void eightLanesGiveTheScalarDigest() throws Exception {
    String javaBin = ProcessHandle.current().info().command().orElseThrow();
    Path out = dir.resolve("probe.out");
    // output to a file, not a pipe read to its end: a hung child then meets the timeout below
    Process p = new ProcessBuilder(javaBin, "-XX:MaxVectorSize=32", "--add-modules", "jdk.incubator.vector",
        "-cp", System.getProperty("java.class.path"), Blake3LanesProbe.class.getName())
        .redirectOutput(out.toFile()).redirectError(dir.resolve("probe.err").toFile()).start();
    if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      org.junit.jupiter.api.Assertions.fail("the probe did not end in 120 s: " + Files.readString(dir.resolve("probe.err")));
    }
    String[] lines = Files.readString(out).trim().split("\\s+");
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("probe.err")));
    org.junit.jupiter.api.Assumptions.assumeFalse(lines[0].equals("0"), "no 256-bit vectors on this CPU: nothing to compare");
    byte[] data = Blake3LanesProbe.input();
    int[] cv = Blake3.scalarSubtree(MemorySegment.ofArray(data), 0, Blake3LanesProbe.SUBTREE_CHUNKS, Blake3LanesProbe.SUBTREE_COUNTER);
    assertEquals("8 " + hex(new Blake3.Hasher(Blake3.Engine.CHUNKS), data) + " " + Blake3LanesProbe.hex(cv), String.join(" ", lines));
  }
}
