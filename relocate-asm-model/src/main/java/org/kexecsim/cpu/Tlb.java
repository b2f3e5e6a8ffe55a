package org.kexecsim.cpu;

import java.util.HashMap;
import java.util.Map;
import org.kexecsim.mmu.Access;

/**
 * The translation lookaside buffer (SDM Vol. 3A §4.10): translations cached per 4 KiB page (a
 * processor may cache a large page's translation in pieces, §4.10.2.2), tagged with the PCID they
 * were made under, except global ones (a leaf with G=1 while CR4.PGE=1), which every PCID shares
 * (§4.10.2.4). Invalidation follows §4.10.4.1; the {@link Cpu} calls the operations as the
 * instructions demand. Capacity is unbounded: nothing is evicted, so what survives a flush is
 * exactly what the architecture allows to survive, deterministically.
 */
final class Tlb {

  /**
   * One cached translation.
   *
   * @param frame the physical 4 KiB frame
   * @param rights R/W and U/S combined over every level of the walk
   * @param xd whether execute-disable applied at some level
   * @param global cached from a leaf with G=1 under CR4.PGE=1
   * @param dirty whether the walk that made it set D (a write through a clean entry walks again)
   * @param root the table root the walk started from: a hit under another root is a stale
   *     translation if that root no longer maps the page the same way
   */
  record Entry(long frame, long rights, boolean xd, boolean global, boolean dirty, long root) {}

  private final Map<Long, Entry> byPcid = new HashMap<>();
  private final Map<Long, Entry> globals = new HashMap<>();

  private static long key(int pcid, long linear) {
    return ((long) pcid << 52) ^ (linear >>> 12);
  }

  /** The entry for {@code linear} usable under {@code pcid}: its own, else a global one. */
  Entry lookup(int pcid, long linear) {
    Entry e = byPcid.get(key(pcid, linear));
    return e != null ? e : globals.get(linear >>> 12);
  }

  void fill(int pcid, long linear, Entry e) {
    if (e.global()) {
      globals.put(linear >>> 12, e);
      byPcid.remove(key(pcid, linear));
    } else {
      byPcid.put(key(pcid, linear), e);
    }
  }

  /**
   * Whether a hit permits {@code access} under the current WP/NXE/SMEP, as the walk's final check
   * would (SDM §4.6); if not, the CPU walks again and the walk decides.
   */
  static boolean permits(Entry e, int access, boolean wp, boolean nxe, boolean smep) {
    boolean user = (access & Access.USER) != 0;
    if (user && (e.rights() & 4) == 0) {
      return false;
    }
    if ((access & Access.WRITE) != 0 && (!e.dirty() || ((e.rights() & 2) == 0 && (user || wp)))) {
      return false;
    }
    if ((access & Access.FETCH) != 0 && ((nxe && e.xd()) || (!user && smep && (e.rights() & 4) != 0))) {
      return false;
    }
    return true;
  }

  /** MOV to CR3 without PCIDE (or with it and bit 63 clear): the PCID's non-global entries go (§4.10.4.1). */
  void flushNonGlobal(int pcid) {
    byPcid.keySet().removeIf(k -> (k >>> 52) == pcid);
  }

  /** Everything, global entries included: CR4.PGE changed, CR0.PG cleared, PCIDE 1→0 (§4.10.4.1). */
  void flushAll() {
    byPcid.clear();
    globals.clear();
  }

  /** INVLPG, and a #PF for the address (§4.10.4.1): the PCID's entry and any global one for the page. */
  void invalidatePage(int pcid, long linear) {
    byPcid.remove(key(pcid, linear));
    globals.remove(linear >>> 12);
  }

  int size() {
    return byPcid.size() + globals.size();
  }

  int globalCount() {
    return globals.size();
  }
}
