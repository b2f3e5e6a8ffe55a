package org.kexecsim.mmu;

import static org.kexecsim.mmu.PageTableEntry.A;
import static org.kexecsim.mmu.PageTableEntry.D;
import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PS;
import static org.kexecsim.mmu.PageTableEntry.RW;
import static org.kexecsim.mmu.PageTableEntry.US;
import static org.kexecsim.mmu.PageTableEntry.XD;

import java.util.ArrayList;
import java.util.List;
import org.kexecsim.memory.PageExcludedException;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.PhysicalMemory;

/**
 * Translates linear addresses the way the x86 MMU does (SDM Vol. 3A chapter 4), reading every
 * paging-structure entry from {@link PhysicalMemory}. There is no TLB: every access walks. That
 * is stricter than hardware, where global entries survive a MOV to CR3 and can hide a missing
 * mapping (SDM §4.10.4.1).
 *
 * <p>The hot path, {@link #walk}, returns a physical address or an encoded fault and allocates
 * nothing. A walk that sets A/D bits or faults keeps the entries it read until the next walk
 * ({@link #steps}; {@link #translate} turns them into a {@link Translation}); a successful
 * read-only 4/5-level walk keeps none, so that it costs what the checks cost and no more
 * (FastWalkTest holds it to the recording walk's answers). One walker per thread.
 *
 * <p>Check order (SDM §4.7): per level, present, then reserved bits (never checked when P=0);
 * rights are combined over all levels and checked after the walk. Accessed and dirty bits are
 * set, when asked, only for an access that succeeds (SDM §4.8).
 *
 * <p>What a reserved bit does depends on the state's {@link ReservedBitPolicy}: the CPU faults;
 * an analyzer reads on as the machine did and finds the bits on the {@link WalkStep}s.
 */
public final class PageWalker {
  /** Set in every value {@link #walk} returns for a fault. */
  public static final long FAULT = Long.MIN_VALUE;

  private static final String[] LONG_NAMES = {"", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"};

  private final PhysicalMemory memory;
  private final long[] stepAddress = new long[5];
  private final long[] stepValue = new long[5];
  private final int[] stepLevel = new int[5];
  private final long[] stepReserved = new long[5];
  private int depth;
  private int pageShift;
  private FaultCause cause;
  private PagingMode lastMode;

  public PageWalker(PhysicalMemory memory) {
    this.memory = memory;
  }

  public PhysicalMemory memory() {
    return memory;
  }

  /** One-shot translation with the entries read; see {@link #translate(PagingState, long, int, boolean)}. */
  public static Translation translate(
      PhysicalMemory memory, PagingState state, long linear, int access) {
    return new PageWalker(memory).translate(state, linear, access, false);
  }

  /**
   * Translates {@code linear} for an access of kind {@code access} ({@link Access} flags).
   *
   * @param setAccessedDirty set A in each entry used and D in the leaf on a write, as the CPU
   *     does; a dump analyzer walks read-only and passes false
   */
  public Translation translate(PagingState state, long linear, int access, boolean setAccessedDirty) {
    long la = state.mode.isLongMode() ? linear : linear & 0xFFFF_FFFFL;
    long r;
    try {
      r = walkRecorded(state, linear, access, setAccessedDirty);
    } catch (PhysicalAccessException e) {
      List<WalkStep> read = steps(state);
      int level = read.isEmpty() ? state.mode.levels() : read.getLast().level() - 1;
      return new Translation.Unreadable(la, e.physical(), level, e instanceof PageExcludedException, e.getMessage(), read);
    }
    List<WalkStep> steps = steps(state);
    if (isFault(r)) {
      ExceptionVector v = ExceptionVector.ofNumber(faultVector(r));
      return new Translation.Faulted(la, v, faultErrorCode(r), v == ExceptionVector.PF, cause, steps);
    }
    return new Translation.Mapped(la, r, PageSize.ofShift(pageShift), steps);
  }

  /**
   * Translates {@code linear}; returns the physical address, or {@link #FAULT} | vector &lt;&lt; 32
   * | error code. CR2 for a #PF is the linear address (truncated to 32 bits outside IA-32e mode).
   * The entries read are kept for {@link #steps} when the walk sets A/D or faults; a successful
   * read-only 4/5-level walk keeps none (the fast path).
   */
  public long walk(PagingState s, long linear, int access, boolean setAccessedDirty) {
    if (!setAccessedDirty && s.mode.isLongMode()) {
      depth = 0;
      lastMode = s.mode;
      return fastLong(s, linear, s.mode.levels(), access);
    }
    return walkRecorded(s, linear, access, setAccessedDirty);
  }

  /** {@link #walk}, keeping every entry read for {@link #steps}. */
  private long walkRecorded(PagingState s, long linear, int access, boolean setAccessedDirty) {
    depth = 0;
    lastMode = s.mode;
    return switch (s.mode) {
      case DISABLED -> {
        pageShift = 12;
        yield linear & 0xFFFF_FFFFL;
      }
      case BITS32 -> walk32(s, linear & 0xFFFF_FFFFL, access, setAccessedDirty);
      case PAE -> walkPae(s, linear & 0xFFFF_FFFFL, access, setAccessedDirty);
      case LEVEL4 -> walkLong(s, linear, 4, access, setAccessedDirty);
      case LEVEL5 -> walkLong(s, linear, 5, access, setAccessedDirty);
    };
  }

  /**
   * A read-only 4/5-level walk that records nothing: present entries with no reserved bit set,
   * rights combined as {@link #walkLong} combines them. Anything else — a not-present or reserved
   * entry, a non-canonical address, a fault from the rights — is walked again by
   * {@link #walkLong}, which decides it and records the steps; so the result is always what
   * {@code walkLong} returns (FastWalkTest compares them).
   */
  private long fastLong(PagingState s, long la, int levels, int access) {
    int unused = 64 - (levels == 5 ? 57 : 48);
    if ((la << unused) >> unused != la) {
      return walkLong(s, la, levels, access, false);
    }
    long frameMask = s.frameMask;
    long table = s.root;
    long rights = RW | US;
    long any = 0; // bits set in any entry: XD is the only one used
    // PML5E, PML4E: never leaves (PS is reserved there, so a set PS goes to walkLong)
    for (int level = levels; level > 3; level--) {
      long e = memory.readU64(table + (((la >>> (3 + 9 * level)) & 511) << 3));
      if ((e & P) == 0 || (e & s.reservedTable[level]) != 0) {
        return walkLong(s, la, levels, access, false);
      }
      rights &= e;
      any |= e;
      table = e & frameMask;
    }
    // PDPTE, PDE, PTE written out, as a C compiler unrolls a walk of known depth
    long e = memory.readU64(table + (((la >>> 30) & 511) << 3));
    if ((e & PS) != 0) {
      return fastLeaf(s, la, levels, access, e, 30, s.reservedLeaf[3], rights, any);
    }
    if ((e & P) == 0 || (e & s.reservedTable[3]) != 0) {
      return walkLong(s, la, levels, access, false);
    }
    rights &= e;
    any |= e;
    e = memory.readU64((e & frameMask) + (((la >>> 21) & 511) << 3));
    if ((e & PS) != 0) {
      return fastLeaf(s, la, levels, access, e, 21, s.reservedLeaf[2], rights, any);
    }
    if ((e & P) == 0 || (e & s.reservedTable[2]) != 0) {
      return walkLong(s, la, levels, access, false);
    }
    rights &= e;
    any |= e;
    e = memory.readU64((e & frameMask) + (((la >>> 12) & 511) << 3));
    return fastLeaf(s, la, levels, access, e, 12, s.reservedLeaf[1], rights, any);
  }

  /** The leaf of {@link #fastLong}: its checks, then the address, or walkLong for anything else. */
  private long fastLeaf(PagingState s, long la, int levels, int access, long e, int shift, long reserved, long rights, long any) {
    if ((e & P) == 0 || (e & reserved) != 0) {
      return walkLong(s, la, levels, access, false);
    }
    long pageMask = (1L << shift) - 1;
    long physical = (e & s.frameMask & ~pageMask) | (la & pageMask);
    if ((access & (Access.USER | Access.WRITE | Access.FETCH)) == 0) {
      pageShift = shift; // a supervisor read: no right can refuse it (SDM §4.6)
      return physical;
    }
    long r = finish(s, access, rights & e, ((any | e) & XD) != 0 && s.nxe, physical, shift, false);
    return isFault(r) ? walkLong(s, la, levels, access, false) : r;
  }

  /**
   * Translates {@code linear[0..count)} into {@code out[0..count)}, each element exactly what
   * {@link #walk} would return for a read-only walk (no A/D updates). In 4- and 5-level paging
   * the walks advance level by level in groups, so the loads of independent walks overlap
   * instead of waiting for each other: the way to translate many addresses at once (an
   * analyzer's vtop over a million addresses). Anything unusual on the way — a fault, a
   * non-canonical address — is handed to {@link #walk}, which decides it.
   */
  public void walkAll(PagingState s, long[] linear, long[] out, int count, int access) {
    if (!s.mode.isLongMode()) {
      for (int i = 0; i < count; i++) {
        out[i] = walk(s, linear[i], access, false);
      }
      return;
    }
    for (int base = 0; base < count; base += LANES) {
      walkLanes(s, linear, out, base, Math.min(LANES, count - base), access);
    }
  }

  // 32: of 8, 16, 32 and 64 lanes, the fastest over TranslationBenchmark's 64 GiB tables on the
  // project's machine (median 14 ns a walk; 16 lanes 16-17, 64 lanes 15, 8 lanes 21)
  private static final int LANES = 32;
  // the lanes still walking, packed at the front: where each writes its result, its linear
  // address, the entry it reads next, what it read, and its rights so far
  private final int[] laneOut = new int[LANES];
  private final long[] laneLinear = new long[LANES];
  private final long[] laneAddress = new long[LANES];
  private final long[] laneEntry = new long[LANES];
  private final long[] laneRights = new long[LANES];
  private final long[] laneAny = new long[LANES];

  /**
   * Up to {@link #LANES} walks advanced together, level by level: each level reads the entries
   * of all lanes still walking in one {@link PhysicalMemory#readU64s} (their misses overlap, as
   * in a C walker that interleaves lanes), then checks each as {@link #fastLong} does; a lane
   * that meets anything else is walked alone by {@link #walkRecorded}, which decides it, and
   * drops out. The lanes still walking stay packed at the front, so no level tests idle ones.
   */
  private void walkLanes(PagingState s, long[] linear, long[] out, int base, int lanes, int access) {
    int levels = s.mode.levels();
    int unused = 64 - (levels == 5 ? 57 : 48);
    int[] slot = laneOut;
    long[] lin = laneLinear;
    long[] address = laneAddress;
    long[] entry = laneEntry;
    long[] rights = laneRights;
    long[] any = laneAny;
    int topShift = 3 + 9 * levels;
    long root = s.root;
    int n = 0;
    for (int k = base; k < base + lanes; k++) {
      long la = linear[k];
      if ((la << unused) >> unused == la) {
        slot[n] = k;
        lin[n] = la;
        address[n] = root + (((la >>> topShift) & 511) << 3);
        rights[n] = RW | US;
        any[n] = 0;
        n++;
      } else {
        out[k] = walkRecorded(s, la, access, false);
      }
    }
    boolean supervisorRead = (access & (Access.USER | Access.WRITE | Access.FETCH)) == 0;
    long frameMask = s.frameMask;
    for (int level = levels; level >= 1 && n > 0; level--) {
      memory.readU64s(address, entry, n);
      int shift = 3 + 9 * level;
      // one test for "not present or a reserved bit set": P flipped, then P and the reserved bits
      long badTable = P | s.reservedTable[level];
      long badLeaf = P | s.reservedLeaf[level];
      long largeAllowed = level <= 3 ? PS : 0; // PS makes a leaf only in a PDPTE or PDE
      boolean last = level == 1;
      int m = 0;
      for (int j = 0; j < n; j++) {
        long e = entry[j];
        long la = lin[j];
        if (!last && (e & largeAllowed) == 0) {
          if (((e ^ P) & badTable) != 0) {
            out[slot[j]] = walkRecorded(s, la, access, false);
            continue;
          }
          // walks on, packed down to slot m (m <= j: slot j is read before it is reused)
          slot[m] = slot[j];
          lin[m] = la;
          address[m] = (e & frameMask) + (((la >>> (shift - 9)) & 511) << 3);
          if (!supervisorRead) { // no right refuses a supervisor read (SDM §4.6): nothing to combine
            rights[m] = rights[j] & e;
            any[m] = any[j] | e;
          }
          m++;
          continue;
        }
        int k = slot[j];
        if (((e ^ P) & badLeaf) != 0) {
          out[k] = walkRecorded(s, la, access, false);
          continue;
        }
        long pageMask = (1L << shift) - 1;
        long physical = (e & frameMask & ~pageMask) | (la & pageMask);
        if (supervisorRead) {
          pageShift = shift;
          out[k] = physical;
        } else {
          long r = finish(s, access, rights[j] & e, ((any[j] | e) & XD) != 0 && s.nxe, physical, shift, false);
          out[k] = isFault(r) ? walkRecorded(s, la, access, false) : r;
        }
      }
      n = m;
    }
  }

  /** The page size of the last successful walk, as a shift. */
  public int lastPageShift() {
    return pageShift;
  }

  /** Why the last faulting walk faulted. */
  public FaultCause lastFaultCause() {
    return cause;
  }

  public static boolean isFault(long result) {
    return result < 0;
  }

  public static int faultVector(long result) {
    return (int) ((result >>> 32) & 0xFF);
  }

  public static int faultErrorCode(long result) {
    return (int) result;
  }

  // ---- 4-level and 5-level (SDM §4.5) ---------------------------------------------------------

  private long walkLong(PagingState s, long la, int levels, int access, boolean setAd) {
    int vaBits = levels == 5 ? 57 : 48;
    // SDM §3.3.7.1: bits 63:N-1 must all equal bit N-1; otherwise #GP(0), no walk, no CR2.
    if ((la << (64 - vaBits)) >> (64 - vaBits) != la) {
      cause = FaultCause.NON_CANONICAL;
      return FAULT | ((long) ExceptionVector.GP.number() << 32);
    }
    long table = s.root;
    long rights = RW | US;
    boolean xd = false;
    for (int level = levels; level >= 1; level--) {
      int shift = 3 + 9 * level; // 12 for a PTE, 21 for a PDE, 30 for a PDPTE ...
      long entryAddress = table + (((la >>> shift) & 511) << 3);
      long e = memory.readU64(entryAddress);
      record(level, entryAddress, e);
      if ((e & P) == 0) {
        return pageFault(s, access, 0, FaultCause.NOT_PRESENT);
      }
      boolean leaf = level == 1 || (level <= 3 && (e & PS) != 0);
      if ((e & (leaf ? s.reservedLeaf[level] : s.reservedTable[level])) != 0 && reserved(s, e)) {
        return pageFault(s, access, PageFaultErrorCode.P | PageFaultErrorCode.RSVD, FaultCause.RESERVED_BIT);
      }
      rights &= e;
      xd |= (e & XD) != 0 && s.nxe; // with NXE=0 bit 63 is reserved, not execute-disable
      if (leaf) {
        long pageMask = (1L << shift) - 1;
        return finish(s, access, rights, xd, (e & s.frameMask & ~pageMask) | (la & pageMask), shift, setAd);
      }
      table = e & s.frameMask;
    }
    throw new AssertionError("a PTE is always a leaf");
  }

  // ---- PAE (SDM §4.4) ---------------------------------------------------------------------------

  private long walkPae(PagingState s, long la, int access, boolean setAd) {
    int pdptIndex = (int) (la >>> 30) & 3;
    // The PDPTE comes from the register loaded at the last CR3 load, not from memory (§4.4.1);
    // its reserved bits were checked then. It carries no rights: RW=US=1, XD=0 for this walk.
    // QEMU TCG keeps no registers: it reads the PDPTE now and checks only bits 63:M (CpuModel).
    long pdpteAddress = s.root + 8L * pdptIndex;
    long pdpte = s.pdptesFromMemory ? memory.readU64(pdpteAddress) : s.pdptes[pdptIndex];
    record(3, pdpteAddress, pdpte);
    if ((pdpte & P) == 0) {
      return pageFault(s, access, 0, FaultCause.NOT_PRESENT);
    }
    if (s.pdptesFromMemory) {
      if ((pdpte & s.pdpteReserved) != 0 && reserved(s, pdpte)) {
        return pageFault(s, access, PageFaultErrorCode.P | PageFaultErrorCode.RSVD, FaultCause.RESERVED_BIT);
      }
      if (setAd && (pdpte & A) == 0) {
        memory.writeU64(pdpteAddress, pdpte | A); // QEMU sets A in the PDPTE (ptw_setl at restart_3_nolma)
      }
    } else if (!s.faultOnReserved) {
      reserved(s, pdpte); // only a loaded register gets here under FAULT, and loading checked it
    }
    long pdeAddress = (pdpte & s.frameMask) + (((la >>> 21) & 511) << 3);
    long pde = memory.readU64(pdeAddress);
    record(2, pdeAddress, pde);
    if ((pde & P) == 0) {
      return pageFault(s, access, 0, FaultCause.NOT_PRESENT);
    }
    boolean large = (pde & PS) != 0; // PS is honoured in PAE paging whatever CR4.PSE says
    if ((pde & (large ? s.paeReserved | 0x1F_E000L : s.paeReserved)) != 0 && reserved(s, pde)) {
      return pageFault(s, access, PageFaultErrorCode.P | PageFaultErrorCode.RSVD, FaultCause.RESERVED_BIT);
    }
    long rights = pde & (RW | US);
    boolean xd = (pde & XD) != 0 && s.nxe;
    if (large) {
      return finish(s, access, rights, xd, (pde & s.frameMask & ~0x1F_FFFFL) | (la & 0x1F_FFFFL), 21, setAd);
    }
    long pteAddress = (pde & s.frameMask) + (((la >>> 12) & 511) << 3);
    long pte = memory.readU64(pteAddress);
    record(1, pteAddress, pte);
    if ((pte & P) == 0) {
      return pageFault(s, access, 0, FaultCause.NOT_PRESENT);
    }
    if ((pte & s.paeReserved) != 0 && reserved(s, pte)) {
      return pageFault(s, access, PageFaultErrorCode.P | PageFaultErrorCode.RSVD, FaultCause.RESERVED_BIT);
    }
    rights &= pte;
    xd |= (pte & XD) != 0 && s.nxe;
    return finish(s, access, rights, xd, (pte & s.frameMask) | (la & 0xFFF), 12, setAd);
  }

  // ---- 32-bit (SDM §4.3) -----------------------------------------------------------------------

  private long walk32(PagingState s, long la, int access, boolean setAd) {
    long pdeAddress = s.root + ((la >>> 22) << 2);
    long pde = memory.readU32(pdeAddress);
    record(2, pdeAddress, pde);
    if ((pde & P) == 0) {
      return pageFault(s, access, 0, FaultCause.NOT_PRESENT);
    }
    long rights = pde & (RW | US);
    if ((pde & PS) != 0 && s.pse) { // PS is ignored when CR4.PSE=0 (§4.3)
      if ((pde & s.pse4mReserved) != 0 && reserved(s, pde)) {
        return pageFault(s, access, PageFaultErrorCode.P | PageFaultErrorCode.RSVD, FaultCause.RESERVED_BIT);
      }
      long high = (pde >>> 13) & ((1L << s.pse36Bits) - 1); // PSE-36: PA[M-1:32]
      long pa = (pde & 0xFFC0_0000L) | (high << 32) | (la & 0x3F_FFFFL);
      return finish(s, access, rights, false, pa, 22, setAd);
    }
    long pteAddress = (pde & PagingMode.FRAME_MASK_32) + (((la >>> 12) & 1023) << 2);
    long pte = memory.readU32(pteAddress);
    record(1, pteAddress, pte);
    if ((pte & P) == 0) {
      return pageFault(s, access, 0, FaultCause.NOT_PRESENT);
    }
    // No reserved bits are checked in 32-bit PDEs and PTEs of 4 KiB pages (§4.3, Table 4-6).
    rights &= pte;
    return finish(s, access, rights, false, (pte & PagingMode.FRAME_MASK_32) | (la & 0xFFF), 12, setAd);
  }

  // ---- shared ----------------------------------------------------------------------------------

  /** SDM §4.6: rights combined over all levels, then A/D (§4.8). */
  private long finish(
      PagingState s, int access, long rights, boolean xd, long physical, int shift, boolean setAd) {
    boolean user = (access & Access.USER) != 0;
    if (user && (rights & US) == 0) {
      return pageFault(s, access, PageFaultErrorCode.P, FaultCause.USER_ACCESS_TO_SUPERVISOR_PAGE);
    }
    if ((access & Access.WRITE) != 0 && (rights & RW) == 0 && (user || s.wp)) {
      return pageFault(s, access, PageFaultErrorCode.P, FaultCause.WRITE_TO_READ_ONLY_PAGE);
    }
    if ((access & Access.FETCH) != 0) {
      if (s.nxe && xd) {
        return pageFault(s, access, PageFaultErrorCode.P, FaultCause.EXECUTE_DISABLED);
      }
      if (!user && s.smep && (rights & US) != 0) {
        return pageFault(s, access, PageFaultErrorCode.P, FaultCause.SMEP);
      }
    }
    if (setAd) {
      setAccessedDirty(s, (access & Access.WRITE) != 0);
    }
    pageShift = shift;
    return physical;
  }

  private void setAccessedDirty(PagingState s, boolean write) {
    for (int i = 0; i < depth; i++) {
      if (s.mode == PagingMode.PAE && stepLevel[i] == 3) {
        continue; // the CPU never writes a PAE PDPTE (SDM §4.8)
      }
      long e = stepValue[i];
      long set = A | (write && i == depth - 1 ? D : 0);
      if ((e & set) != set) {
        // A and D are in the low dword in every format; the CPU updates them atomically there.
        memory.writeU32(stepAddress[i], (e | set) & 0xFFFF_FFFFL);
        stepValue[i] = e | set;
      }
    }
  }

  /**
   * The entry just recorded sets reserved bits: notes them on its step, and says whether the walk
   * faults (the CPU) or reads on as if they were clear (an analyzer).
   */
  private boolean reserved(PagingState s, long entry) {
    stepReserved[depth - 1] = s.reservedBits(stepLevel[depth - 1], entry);
    return s.faultOnReserved;
  }

  private long pageFault(PagingState s, int access, int bits, FaultCause why) {
    cause = why;
    int code = bits | (access & (Access.WRITE | Access.USER));
    if ((access & Access.FETCH) != 0 && s.reportsFetch) {
      code |= PageFaultErrorCode.ID;
    }
    return FAULT | ((long) ExceptionVector.PF.number() << 32) | code;
  }

  private void record(int level, long address, long value) {
    stepLevel[depth] = level;
    stepAddress[depth] = address;
    stepValue[depth] = value;
    stepReserved[depth] = 0;
    depth++;
  }

  /** The entries the last walk read, outermost first. */
  public List<WalkStep> steps(PagingState s) {
    List<WalkStep> out = new ArrayList<>(depth);
    for (int i = 0; i < depth; i++) {
      int level = stepLevel[i];
      String name =
          switch (lastMode) {
            case BITS32, PAE -> level == 3 ? "PDPTE" : level == 2 ? "PDE" : "PTE";
            default -> LONG_NAMES[level];
          };
      int entrySize = lastMode == PagingMode.BITS32 ? 4 : 8;
      long tableBase;
      if (lastMode == PagingMode.PAE && level == 3) {
        tableBase = s.root;
      } else {
        tableBase = stepAddress[i] & ~0xFFFL;
      }
      int index = (int) ((stepAddress[i] - tableBase) / entrySize);
      out.add(new WalkStep(name, level, index, stepAddress[i], stepValue[i], stepReserved[i]));
    }
    return List.copyOf(out);
  }
}
