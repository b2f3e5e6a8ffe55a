package org.kexecsim.analyzer.checksum;

import java.util.Locale;

/**
 * The hash functions. SHA-256 and BLAKE3 digest the whole image as one stream; XXH3 (64-bit, not
 * cryptographic) only pages, where it is the fast default for comparing and deduplicating them.
 */
public enum DigestAlgorithm {
  /** FIPS 180-4, from the JDK (its intrinsic uses the CPU's SHA extensions). */
  SHA256(true),
  /** BLAKE3-256, {@link Blake3}. */
  BLAKE3(true),
  /** XXH3-64 with seed 0, from zero-allocation-hashing; printed as xxhsum -H3 does (big-endian hex). */
  XXH3(false);

  private final boolean image;

  DigestAlgorithm(boolean image) {
    this.image = image;
  }

  /** Whether it can digest a whole image (a stream); XXH3 here digests pages only. */
  public boolean forImages() {
    return image;
  }

  /** "sha256", "blake3", "xxh3". */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static DigestAlgorithm fromCliName(String name) {
    for (DigestAlgorithm a : values()) {
      if (a.cliName().equals(name.toLowerCase(Locale.ROOT))) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown algorithm '" + name + "': expected sha256, blake3 or xxh3");
  }
}
