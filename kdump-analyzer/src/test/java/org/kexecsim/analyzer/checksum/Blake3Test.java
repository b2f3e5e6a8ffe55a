package org.kexecsim.analyzer.checksum;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.bouncycastle.crypto.digests.Blake3Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Oracles: Bouncy Castle's BLAKE3 (an independent implementation) and b3sum. */
class Blake3Test {
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

  @Test
  void everyLengthAroundBlockChunkAndSubtreeEdgesMatchesTheOracle() {
    int[] lengths = {0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 3073, 8192, 16 * 1024 - 1, 16 * 1024,
        16 * 1024 + 1, 17 * 1024, 31 * 1024 + 5, 64 * 1024 + 1, 1 << 20, (1 << 20) + 1000};
    for (int n : lengths) {
      byte[] data = random(n, n);
      Blake3.Hasher h = new Blake3.Hasher();
      h.update(data, 0, n);
      assertArrayEquals(oracle(data), h.finish(), "length " + n);
    }
  }

  @Test
  void anySplitOfTheInputGivesTheSameDigest() {
    byte[] data = random(300_000, 7);
    byte[] expected = oracle(data);
    SplittableRandom r = new SplittableRandom(3);
    for (int trial = 0; trial < 20; trial++) {
      Blake3.Hasher h = new Blake3.Hasher();
      for (int off = 0; off < data.length; ) {
        int n = Math.min(data.length - off, r.nextInt(1, 40_000));
        h.update(data, off, n);
        off += n;
      }
      assertArrayEquals(expected, h.finish(), "trial " + trial);
    }
  }

  @Test
  void subtreesHashedApartAndPushedInOrderGiveTheWholeDigest() {
    int sub = 64 * 1024; // 64 chunks
    byte[] data = random(5 * sub + 777, 9);
    MemorySegment s = MemorySegment.ofArray(data);
    Blake3.Hasher h = new Blake3.Hasher();
    for (int k = 0; k < 5; k++) {
      h.pushSubtree(Blake3.subtree(s, (long) k * sub, 64, k * 64L), 64);
    }
    h.update(s, 5L * sub, 777);
    assertArrayEquals(oracle(data), h.finish());
  }

  @Test
  void theLaneCodeEqualsTheScalarCodeChunkForChunk() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Blake3Lanes.AVAILABLE, "JVM without --add-modules jdk.incubator.vector");
    byte[] data = random(48 * 1024, 5);
    int[] lanes = new int[8 * 48];
    int done = Blake3Lanes.chunkCvs(MemorySegment.ofArray(data), 0, 48, 1L << 33, lanes);
    assertEquals(48, done);
    int[] words = new int[256];
    int[] cv = new int[8];
    for (int c = 0; c < 48; c++) {
      java.nio.ByteBuffer.wrap(data, c * 1024, 1024).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(words);
      Blake3.chunkCv(words, 0, (1L << 33) + c, cv, new int[16]);
      assertArrayEquals(cv, java.util.Arrays.copyOfRange(lanes, 8 * c, 8 * c + 8), "chunk " + c);
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
}
