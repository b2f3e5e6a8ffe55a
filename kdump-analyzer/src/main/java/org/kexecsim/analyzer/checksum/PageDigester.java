package org.kexecsim.analyzer.checksum;

import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import net.openhft.hashing.LongHashFunction;

/** One page's digest, as lower-case hex; one instance per thread. */
final class PageDigester {
  private static final LongHashFunction XXH3 = LongHashFunction.xx3();
  private final DigestAlgorithm algorithm;
  private final MessageDigest sha;

  PageDigester(DigestAlgorithm algorithm) {
    this.algorithm = algorithm;
    this.sha = algorithm == DigestAlgorithm.SHA256 ? sha256OrThrow() : null;
  }

  String digest(MemorySegment page) {
    return switch (algorithm) {
      case XXH3 -> String.format("%016x", xxh3(page));
      case SHA256 -> {
        sha.update(page.asByteBuffer());
        yield HexFormat.of().formatHex(sha.digest());
      }
      case BLAKE3 -> {
        Blake3.Hasher h = new Blake3.Hasher();
        h.update(page, 0, page.byteSize());
        yield HexFormat.of().formatHex(h.finish());
      }
    };
  }

  /**
   * Hashed in place: a mapped page by its address, a heap one by its array (the library's
   * ByteBuffer path reaches into sun.nio.ch, which Java 25 does not export).
   */
  private static long xxh3(MemorySegment page) {
    if (page.isNative()) {
      return XXH3.hashMemory(page.address(), page.byteSize());
    }
    byte[] array = (byte[]) page.heapBase().orElseThrow();
    return XXH3.hashBytes(array, (int) page.address(), (int) page.byteSize());
  }

  static MessageDigest sha256OrThrow() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256 (MessageDigest spec)", e);
    }
  }
}
