package org.kexecsim.relocate;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.kexecsim.kimage.IndirectionWalk;
import org.kexecsim.kimage.Segment;
import org.kexecsim.memory.PhysicalMemory;

/**
 * Purgatory's integrity check of the loaded image: at load, SHA-256 over every segment but
 * purgatory's own (whose variables the loader patches), region by region in load order (kexec-tools
 * kexec/kexec.c update_purgatory: sha256_regions[] and sha256_digest; the kernel's kexec_file_load
 * does the same in kernel/kexec_file.c kexec_calculate_store_digests); before jumping to the new
 * kernel, purgatory recomputes it over the destinations and, on a mismatch, prints both digests
 * and loops instead of booting (purgatory/purgatory.c verify_sha256_digest; arch/x86/purgatory/
 * purgatory.c). The JDK's SHA-256 stands in for purgatory's sha256.c.
 *
 * @param regions the hashed [start, start+length) destination ranges, in order
 * @param digest SHA-256 over all of them, in order, as recorded at load
 * @param regionDigests each region's own SHA-256, to name the one that changed
 */
public record Purgatory(List<Region> regions, byte[] digest, List<byte[]> regionDigests) {

  /** One sha256_regions[] entry. */
  public record Region(long start, long length) {}

  public Purgatory {
    regions = List.copyOf(regions);
    digest = digest.clone();
    regionDigests = List.copyOf(regionDigests);
  }

  /**
   * The digests as recorded at load: a region's bytes are its destination pages' contents-to-be,
   * read from their source pages for a normal image (the routine copies them later), in place for
   * a crash image. The segment holding {@code entry} is purgatory itself and is skipped.
   */
  public static Purgatory atLoad(PhysicalMemory memory, IndirectionWalk walk, long entry, List<Segment> segments) {
    Map<Long, Long> sourceOf = new HashMap<>();
    for (IndirectionWalk.PageCopy c : walk.copies()) {
      sourceOf.put(c.destination(), c.source());
    }
    List<Region> regions = new ArrayList<>();
    for (Segment s : segments) {
      if (Long.compareUnsigned(entry - s.mem(), s.memsz()) < 0) {
        continue;
      }
      regions.add(new Region(s.mem(), s.memsz()));
    }
    return hash(memory, regions, sourceOf);
  }

  private static Purgatory hash(PhysicalMemory memory, List<Region> regions, Map<Long, Long> sourceOf) {
    MessageDigest all = sha256();
    List<byte[]> each = new ArrayList<>();
    byte[] page = new byte[(int) PhysicalMemory.PAGE_SIZE];
    for (Region r : regions) {
      MessageDigest one = sha256();
      for (long off = 0; off < r.length(); off += PhysicalMemory.PAGE_SIZE) {
        long dest = r.start() + off;
        int n = (int) Math.min(PhysicalMemory.PAGE_SIZE, r.length() - off);
        long from = sourceOf.getOrDefault(dest & ~0xFFFL, dest & ~0xFFFL) | (dest & 0xFFF);
        memory.read(from, page, 0, n);
        all.update(page, 0, n);
        one.update(page, 0, n);
      }
      each.add(one.digest());
    }
    return new Purgatory(regions, all.digest(), each);
  }

  /**
   * verify_sha256_digest() over the destinations in {@code memory} as they are now: empty when the
   * digest matches, else the sentence purgatory's refusal amounts to.
   */
  public Optional<String> verify(PhysicalMemory memory) {
    Purgatory now = hash(memory, regions, Map.of());
    if (MessageDigest.isEqual(now.digest, digest)) {
      return Optional.empty();
    }
    HexFormat hex = HexFormat.of();
    String which = "";
    for (int i = 0; i < regions.size(); i++) {
      if (!MessageDigest.isEqual(now.regionDigests.get(i), regionDigests.get(i))) {
        Region r = regions.get(i);
        which = String.format("; region %d [0x%x, 0x%x) changed", i, r.start(), r.start() + r.length());
        break;
      }
    }
    return Optional.of(String.format("purgatory refused: sha256 %s, loaded as %s (%d regions)%s",
        hex.formatHex(now.digest), hex.formatHex(digest), regions.size(), which));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
