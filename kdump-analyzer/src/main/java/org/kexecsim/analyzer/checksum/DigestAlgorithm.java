package org.kexecsim.analyzer.checksum;

import java.util.Locale;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.Blake3Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;

/** The hash functions, from Bouncy Castle's lightweight API. */
public enum DigestAlgorithm {
  BLAKE3,
  SHA256;

  /** A fresh digest; BC digests are not thread-safe, so one per worker. */
  public Digest newDigest() {
    return switch (this) {
      case BLAKE3 -> new Blake3Digest(256);
      case SHA256 -> SHA256Digest.newInstance(); // native SHA-NI code where the LTS build has it
    };
  }

  /** "blake3", "sha256". */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static DigestAlgorithm fromCliName(String name) {
    for (DigestAlgorithm a : values()) {
      if (a.cliName().equals(name.toLowerCase(Locale.ROOT))) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown algorithm '" + name + "': expected blake3 or sha256");
  }
}
