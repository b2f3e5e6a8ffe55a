package org.kexecsim.analyzer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bouncycastle.crypto.Digest;
import org.kexecsim.analyzer.checksum.DigestAlgorithm;
import org.kexecsim.analyzer.checksum.ImageChecksum;
import org.kexecsim.analyzer.diff.DiffOptions;
import org.kexecsim.analyzer.diff.ImageDiff;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.RawImage;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;

/**
 * Measures diff and checksum throughput on two real (non-sparse) raw images of equal size, the
 * figures quoted in the checksum scheme's rationale. Not a test: run by hand.
 *
 * <pre>
 * HOW TO RUN
 *   head -c 1G /dev/urandom > /tmp/a.img; cp /tmp/a.img /tmp/b.img   (then change a few bytes of b)
 *   mvn -pl cli -am package -DskipTests
 *   $JDK25/bin/java -cp cli/target/kexec-sim.jar \
 *       kdump-analyzer/src/test/java/org/kexecsim/analyzer/ThroughputProbe.java /tmp/a.img /tmp/b.img
 * </pre>
 *
 * Each figure is the median and best of 3 runs after one warm-up run; GB/s is 10^9 bytes of one
 * image per second. Files should sit in the page cache (run twice).
 */
public final class ThroughputProbe {
  private ThroughputProbe() {}

  interface Run {
    Object run() throws Exception;
  }

  static void time(String label, long bytes, Run r) throws Exception {
    r.run();
    List<Double> rates = new ArrayList<>();
    Object last = null;
    for (int i = 0; i < 3; i++) {
      long t0 = System.nanoTime();
      last = r.run();
      rates.add(bytes / ((System.nanoTime() - t0) / 1e9) / 1e6);
    }
    Collections.sort(rates);
    System.out.printf("%-44s %8.0f MB/s median, %8.0f best   (%s)%n", label, rates.get(1), rates.get(2), summary(last));
  }

  static String summary(Object o) {
    String s = String.valueOf(o);
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }

  public static void main(String[] args) throws Exception {
    Path a = Path.of(args[0]);
    Path b = Path.of(args[1]);
    long size = Files.size(a);
    RamMap map = RamMap.ofSize(size);
    try (Dump da = RawImage.open(a, map); Dump db = RawImage.open(b, map)) {
      PhysicalMemory ma = da.physicalMemory();
      PhysicalMemory mb = db.physicalMemory();
      System.out.printf("%s, %d cores, %d MiB images%n", Runtime.version(), Runtime.getRuntime().availableProcessors(), size >> 20);
      time("diff, 1 thread", size, () -> ImageDiff.diff(ma, mb, DiffOptions.NONE.withThreads(1)).differingPages());
      time("diff, 2 threads", size, () -> ImageDiff.diff(ma, mb, DiffOptions.NONE.withThreads(2)).differingPages());
      for (DigestAlgorithm alg : DigestAlgorithm.values()) {
        time("plain sequential BC " + alg.cliName() + " (1 thread)", size, () -> plain(ma, alg.newDigest()));
        time(alg.cliName() + "-tree-4M, 1 thread", size, () -> ImageChecksum.compute(ma, alg, false, 1).image());
        time(alg.cliName() + "-tree-4M, 2 threads", size, () -> ImageChecksum.compute(ma, alg, false, 2).image());
      }
      time("JDK MessageDigest SHA-256 (reference)", size, () -> {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[4 << 20];
        for (long off = 0; off < size; off += buf.length) {
          int n = (int) Math.min(buf.length, size - off);
          ma.read(off, buf, 0, n);
          md.update(buf, 0, n);
        }
        return java.util.HexFormat.of().formatHex(md.digest());
      });
    }
  }

  static String plain(PhysicalMemory m, Digest d) {
    long size = m.ramMap().end();
    byte[] buf = new byte[4 << 20];
    for (long off = 0; off < size; off += buf.length) {
      int n = (int) Math.min(buf.length, size - off);
      m.read(off, buf, 0, n);
      d.update(buf, 0, n);
    }
    byte[] out = new byte[d.getDigestSize()];
    d.doFinal(out, 0);
    return java.util.HexFormat.of().formatHex(out);
  }
}
