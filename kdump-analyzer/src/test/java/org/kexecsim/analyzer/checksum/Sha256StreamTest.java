package org.kexecsim.analyzer.checksum;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * libcrypto's stream and the JDK's must agree on every split of the input, native or heap
 * segments alike; the oracle is MessageDigest over the whole array, and a FIPS 180-2 test vector.
 */
class Sha256StreamTest {
  @Test
  void libcryptoLoadsOnThisProjectsPlatform() {
    // Debian always carries libcrypto (openssl's dependency, and the tests' sha256 oracles use it):
    // if it stops loading, checksum silently falls back to the slower JDK digest
    try (var s = Sha256Stream.open()) {
      assertTrue(s instanceof Sha256Stream.Libcrypto, "libcrypto.so.3 did not load");
    }
  }

  @Test
  void abcIsTheFips180Vector() {
    for (Sha256Stream s : new Sha256Stream[] {Sha256Stream.open(), new Sha256Stream.Jdk()}) {
      try (s) {
        s.update(MemorySegment.ofArray("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertArrayEquals(HexFormat.of().parseHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            s.finish(), s.getClass().getSimpleName());
      }
    }
  }

  @Test
  void everySplitOfNativeAndHeapSegmentsGivesMessageDigestsResult() throws Exception {
    Random random = new Random(17);
    byte[] data = new byte[3 << 20];
    random.nextBytes(data);
    byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment offHeap = arena.allocate(data.length);
      MemorySegment.copy(MemorySegment.ofArray(data), 0, offHeap, 0, data.length);
      for (int trial = 0; trial < 8; trial++) {
        for (Sha256Stream s : new Sha256Stream[] {Sha256Stream.open(), new Sha256Stream.Jdk()}) {
          try (s) {
            long at = 0;
            boolean heap = trial % 2 == 0;
            while (at < data.length) {
              long n = Math.min(data.length - at, 1 + random.nextInt(trial < 4 ? 200 : 1 << 20));
              s.update((heap ? MemorySegment.ofArray(data) : offHeap).asSlice(at, n));
              heap = !heap;
              at += n;
            }
            assertArrayEquals(expected, s.finish(), s.getClass().getSimpleName() + " trial " + trial);
          }
        }
      }
    }
  }
}
