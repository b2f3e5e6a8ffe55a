package org.kexecsim.uml.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.kexecsim.uml.UmlInputException;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.cost.CostLedger;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.host.Registers;
import org.kexecsim.uml.host.Ticks;
import org.kexecsim.uml.host.UserStep;

/**
 * The UML kernel: guest processes, their mms, system calls, page faults, fork, exec, exit and
 * the scheduler, on top of a {@link ModeDriver} that talks to the host. Deterministic: the only
 * randomness (stack placement) comes from the seed.
 */
public final class UmlKernel {
  /** Physmem below this is the kernel image (stub section, kernel data). */
  static final long FIRST_FREE = 0x10000;
  /** A kernel variable in physmem, for showing who can read kernel memory. */
  public static final long KERNEL_DATA_OFFSET = 0x2000;
  /** Stack randomization: up to this many pages below TASK_SIZE (randomize_va_space). */
  static final int STACK_RANDOM_PAGES = 2048;
  static final int STACK_PAGES = 32;
  private static final int MAX_REPEATED_FAULTS = 4;

  private final HostArch arch;
  private final CostLedger ledger;
  private final HostMachine host;
  private final GuestFrames frames;
  private final ModeDriver driver;
  private final SplittableRandom random; // well mixed even for seeds 1, 2, 3...
  private final HostProcess kernel;
  private final TreeMap<Integer, GuestProcess> tasks = new TreeMap<>();
  private final List<GuestMm.ExitMmap> exits = new ArrayList<>();
  private final List<String> log = new ArrayList<>();
  private GuestProcess current;
  private int nextPid = 1;
  private int nextMm = 1;
  private long lastFaultAddress = -1;
  private int repeatedFaults;

  public UmlKernel(ModeDriver driver, HostArch arch, long seed, long physmemBytes, int initImagePages) {
    this(driver, arch, seed, physmemBytes, initImagePages, Ticks.NONE);
  }

  /**
   * A kernel whose host clock ticks as {@code ticks} says; a clock is modelled for Debian 6.1's
   * ptrace mode only ({@link ModeDriver#linux61}), whose um_timer it follows.
   */
  public UmlKernel(ModeDriver driver, HostArch arch, long seed, long physmemBytes, int initImagePages, Ticks ticks) {
    if (ticks instanceof Ticks.Clock && !driver.linux61()) {
      throw new UmlInputException("the clock tick (ticks " + ticks.cliName()
          + ") is modelled for --mode skas0 --protocol today only");
    }
    this.arch = arch;
    this.ledger = new CostLedger();
    this.host = new HostMachine(arch, physmemBytes, driver.needsSkas3Host(), ledger);
    this.frames = new GuestFrames(host.physmem(), FIRST_FREE);
    this.driver = driver;
    this.random = new SplittableRandom(seed);
    ledger.begin("boot");
    try {
      kernel = host.boot(driver.kernelProcessName());
      host.startClock(ticks, this::umTimer, seed);
      driver.boot(this);
      GuestMm mm = newMm(null);
      loadImage(mm, initImagePages);
      GuestProcess init = new GuestProcess(nextPid++, mm);
      init.setRegs(Registers.at(init.userIp(), mm.stackTop() - 64));
      addTask(init);
      current = init;
      runCurrent();
    } finally {
      ledger.end();
    }
  }

  /**
   * The UML kernel's SIGALRM handler (arch/um/kernel/time.c um_timer, 6.1): "userspace - relay
   * signal, results in correct userspace timers": with a user process current, kill(SIGALRM)
   * to the host process of its mm (os_alarm_process), then the clock event.
   */
  private void umTimer() {
    if (current != null && current.mm() != null && current.mm().hostPid() > 0) {
      host.alarm(kernel, current.mm().hostPid());
    }
  }

  // ---- for the mode drivers ------------------------------------------------------------------

  public HostMachine host() {
    return host;
  }

  public HostArch arch() {
    return arch;
  }

  public ModeDriver driver() {
    return driver;
  }

  public GuestFrames frames() {
    return frames;
  }

  /** The UML kernel's own host process (the tracing thread in tt). */
  public HostProcess kernelProcess() {
    return kernel;
  }

  public CostLedger ledger() {
    return ledger;
  }

  public GuestProcess current() {
    return current;
  }

  public List<GuestProcess> tasks() {
    return List.copyOf(tasks.values());
  }

  /** What every exit_mmap found, in order. */
  public List<GuestMm.ExitMmap> exits() {
    return List.copyOf(exits);
  }

  /** Kernel messages (BUGs and warnings), in order. */
  public List<String> log() {
    return List.copyOf(log);
  }

  // ---- operations ----------------------------------------------------------------------------

  /** Runs {@code op} in the current guest process; its costs go to the ledger under its name. */
  public void perform(GuestOperation op) {
    if (current == null) {
      throw new UmlInputException("no guest process is left to run " + op.name());
    }
    ledger.begin(op.name());
    lastFaultAddress = -1; // the loop guard is per operation: a workload may fault at one address each time
    try {
      current.program().add(stepFor(op));
      runCurrent();
    } finally {
      ledger.end();
    }
  }

  private UserStep stepFor(GuestOperation op) {
    return switch (op) {
      case GuestOperation.Touch t -> new UserStep.Access(t.address(), t.write(), 0x5a);
      case GuestOperation.Getpid g -> call(Syscall.GETPID);
      case GuestOperation.Mmap m -> call(Syscall.MMAP, m.address(), m.pages() << 12, m.prot(), m.populate() ? 1 : 0);
      case GuestOperation.Munmap m -> call(Syscall.MUNMAP, m.address(), m.pages() << 12);
      case GuestOperation.Mprotect m -> call(Syscall.MPROTECT, m.address(), m.pages() << 12, m.prot());
      case GuestOperation.Fork f -> call(Syscall.FORK);
      case GuestOperation.Exec e -> call(Syscall.EXECVE, e.imagePages());
      case GuestOperation.Yield y -> call(Syscall.SCHED_YIELD);
      case GuestOperation.Exit e -> call(Syscall.EXIT, 0);
      case GuestOperation.Wait w -> call(Syscall.WAIT4, -1);
    };
  }

  private UserStep call(Syscall s, long... args) {
    long[] a = java.util.Arrays.copyOf(args, 4);
    return new UserStep.SyscallInsn(arch.nr(s), a[0], a[1], a[2], a[3]);
  }

  /** userspace(): run the current process, handling its kernel entries, until it idles. */
  private void runCurrent() {
    while (current != null) {
      GuestProcess p = current;
      KernelEntry e = driver.runUser(this, p);
      switch (e) {
        case KernelEntry.Idle i -> {
          return;
        }
        case KernelEntry.Syscall s -> {
          p.regs = s.regs();
          long r = syscall(p, s.regs());
          p.regs = p.regs.withRet(r);
        }
        case KernelEntry.PageFault f -> pageFault(p, f);
      }
    }
  }

  // ---- system calls --------------------------------------------------------------------------

  private long syscall(GuestProcess p, Registers r) {
    Syscall s = arch.syscallOf(r.nr());
    if (s == null) {
      return -38;
    }
    return switch (s) {
      case GETPID -> p.pid();
      case MMAP -> mmap(p, r.a0(), r.a1(), (int) r.a2(), r.a3() != 0);
      case MUNMAP -> {
        checkRange(p, r.a0(), r.a1(), "munmap");
        munmap(p.mm, r.a0(), r.a0() + r.a1());
        yield 0;
      }
      case MPROTECT -> {
        checkRange(p, r.a0(), r.a1(), "mprotect");
        p.mm.protectRange(r.a0(), r.a0() + r.a1(), (int) r.a2());
        yield 0;
      }
      case FORK -> fork(p);
      case EXECVE -> {
        exec(p, (int) r.a0());
        yield 0;
      }
      case EXIT -> {
        exit(p);
        yield 0;
      }
      case SCHED_YIELD -> {
        yield_(p);
        yield 0;
      }
      case WAIT4 -> 0;
      case KILL -> -38;
    };
  }

  private void checkRange(GuestProcess p, long addr, long len, String what) {
    long top = p.mm.taskSize();
    if ((addr & 0xFFF) != 0 || len <= 0 || addr < 0 || addr + len > top || addr + len < addr) {
      throw new UmlInputException(String.format(
          "guest %s of [0x%x, 0x%x) is not a page-aligned range below TASK_SIZE 0x%x", what, addr, addr + len, top));
    }
  }

  /** mmap: a VMA; with MAP_POPULATE the pages too (make_pages_present). */
  private long mmap(GuestProcess p, long addr, long len, int prot, boolean populate) {
    checkRange(p, addr, len, "mmap");
    p.mm.addVma(addr, addr + len, prot);
    if (populate) {
      for (long va = addr; va < addr + len; va += 4096) {
        p.mm.populate(va, true);
      }
    }
    return addr;
  }

  /**
   * munmap: zap the pages; in 6.1 unmap_region then flushes the TLB (one host run) and
   * free_pgtables drops page tables no VMA needs any more (a second one, see
   * GuestMm.freeEmptyPageTables). The 2.6.13 model leaves both to the next resume.
   */
  private void munmap(GuestMm mm, long from, long to) {
    mm.removeRange(from, to);
    if (driver.linux61()) {
      driver.flushNow(this, mm);
      if (mm.freeEmptyPageTables(from, to)) {
        driver.flushNow(this, mm);
      }
    }
  }

  private long fork(GuestProcess parent) {
    GuestMm mm = newMm(parent.mm);
    if (driver.linux61()) {
      parent.mm.copyOnWriteInto(mm);
    } else {
      parent.mm.copyInto(mm);
    }
    GuestProcess child = new GuestProcess(nextPid++, mm);
    child.setRegs(parent.regs.withIp(child.userIp()).withRet(0));
    addTask(child);
    current = child; // the child runs first
    return child.pid();
  }

  private void exec(GuestProcess p, int imagePages) {
    if (imagePages < 1 || imagePages > 4096) {
      throw new UmlInputException("exec image of " + imagePages + " pages: expected 1..4096");
    }
    GuestMm old = p.mm;
    GuestMm mm = newMm(null);
    if (driver.linux61()) {
      mapImage(mm, imagePages);
    } else {
      loadImage(mm, imagePages);
    }
    p.mm = mm;
    p.regs = Registers.at(p.userIp(), mm.stackTop() - 64);
    p.running = false;
    driver.attach(this, p); // skas0: "the pid will change underneath userspace()"
    destroyMm(old);
  }

  private void exit(GuestProcess p) {
    tasks.remove(p.pid());
    destroyMm(p.mm);
    p.running = false;
    Map.Entry<Integer, GuestProcess> next = tasks.higherEntry(p.pid());
    if (next == null) {
      next = tasks.firstEntry();
    }
    current = next == null ? null : next.getValue();
  }

  private void yield_(GuestProcess p) {
    Map.Entry<Integer, GuestProcess> next = tasks.higherEntry(p.pid());
    if (next == null) {
      next = tasks.firstEntry();
    }
    if (next.getValue() != p) {
      driver.switchTo(this, p, next.getValue());
      current = next.getValue();
    }
  }

  // ---- faults --------------------------------------------------------------------------------

  /** handle_page_fault (arch/um/kernel/trap.c): find the VMA, check the access, fix the PTE. */
  private void pageFault(GuestProcess p, KernelEntry.PageFault f) {
    ledger.charge(Cost.GUEST_PAGE_FAULT);
    long a = f.address();
    repeatedFaults = a == lastFaultAddress ? repeatedFaults + 1 : 0;
    lastFaultAddress = a;
    if (repeatedFaults >= MAX_REPEATED_FAULTS) {
      throw new IllegalStateException(String.format("guest %d faults at 0x%x again and again", p.pid(), a));
    }
    String kind = f.write() ? "write" : "read";
    if (f.trap() != 14) {
      throw new UmlInputException(String.format(
          "guest process %d: %s at 0x%x raised trap %d, not a page fault", p.pid(), kind, a, f.trap()));
    }
    GuestVma v = a < p.mm.taskSize() ? p.mm.vmaAt(a) : null;
    if (v == null) {
      throw new UmlInputException(String.format(
          "guest process %d: %s at 0x%x is outside every mapping (TASK_SIZE 0x%x)", p.pid(), kind, a, p.mm.taskSize()));
    }
    if ((f.write() && (v.prot() & Prot.WRITE) == 0) || (v.prot() & Prot.READ) == 0) {
      throw new UmlInputException(String.format(
          "guest process %d: %s at 0x%x is not allowed by its mapping [0x%x, 0x%x) %s",
          p.pid(), kind, a, v.start(), v.end(), Prot.describe(v.prot())));
    }
    if (!driver.linux61()) {
      p.mm.fault(a, f.write(), v);
    } else if (!p.mm.faultModern(a, f.write(), v)) {
      long old = p.mm.clearForCow(a);
      driver.flushNow(this, p.mm);
      p.mm.breakCow(a, old);
    }
  }

  // ---- mms -----------------------------------------------------------------------------------

  private GuestMm newMm(GuestMm parent) {
    GuestMm mm = new GuestMm(nextMm++, arch, host.physmem(), frames, driver.taskSize(this));
    // arch_align_stack / randomize_va_space: the stack top moves down by a seeded random amount
    mm.setStackTop(mm.taskSize() - (long) random.nextInt(STACK_RANDOM_PAGES) * 4096);
    driver.initContext(this, mm, parent);
    return mm;
  }

  /** The ELF loader, eagerly: text (read-only), data (dirty) and two argument pages of stack. */
  private void loadImage(GuestMm mm, int pages) {
    long text = arch.textStart();
    int textPages = Math.max(1, pages / 2);
    int dataPages = pages - textPages;
    mm.addVma(text, text + textPages * 4096L, Prot.READ | Prot.EXEC);
    for (int i = 0; i < textPages; i++) {
      mm.populate(text + i * 4096L, false);
    }
    long data = text + textPages * 4096L;
    if (dataPages > 0) {
      mm.addVma(data, data + dataPages * 4096L, Prot.RW);
      for (int i = 0; i < dataPages; i++) {
        mm.populate(data + i * 4096L, true);
      }
    }
    long top = mm.stackTop();
    mm.addVma(top - STACK_PAGES * 4096L, top, Prot.RW);
    if (driver.linux61()) {
      addStaticBinaryVmas(mm, data + dataPages * 4096L);
    }
    mm.populate(top - 4096, true);
    mm.populate(top - 8192, true);
  }

  /**
   * The 6.1 ELF loader (fs/binfmt_elf.c): the same VMAs as {@link #loadImage}, but only the
   * argument pages of the stack are present; text and data come in by page faults.
   */
  private void mapImage(GuestMm mm, int pages) {
    long text = arch.textStart();
    int textPages = Math.max(1, pages / 2);
    int dataPages = pages - textPages;
    mm.addVma(text, text + textPages * 4096L, Prot.READ | Prot.EXEC);
    long data = text + textPages * 4096L;
    if (dataPages > 0) {
      mm.addVma(data, data + dataPages * 4096L, Prot.RW);
    }
    long top = mm.stackTop();
    mm.addVma(top - STACK_PAGES * 4096L, top, Prot.RW);
    addStaticBinaryVmas(mm, data + dataPages * 4096L);
    mm.populateModern(top - 4096);
    mm.populateModern(top - 8192);
  }

  /** VMAs a 6.1 process has beyond text, data and stack (heap, vvar, vdso and the rest). */
  static final int EXTRA_VMAS = 8;

  /**
   * What else a static glibc binary has mapped under 6.1 UML: separate VMAs (ELF header,
   * rodata, RELRO, bss, heap, vvar, vdso...), empty here, one page each past the image. They
   * matter for fork and exec: 6.1 states every VMA of a new mm again, one stub run each; the
   * count is chosen so a fork's child replays the 11 VMAs the live trace shows.
   */
  private void addStaticBinaryVmas(GuestMm mm, long after) {
    for (int i = 0; i < EXTRA_VMAS; i++) {
      long va = after + (2L * i + 1) * 4096;
      mm.addVma(va, va + 4096, i % 2 == 0 ? Prot.READ : Prot.RW);
    }
  }

  private void addTask(GuestProcess p) {
    tasks.put(p.pid(), p);
    driver.attach(this, p);
    host.installUserCode(p.userIp(), p.program());
  }

  private void destroyMm(GuestMm mm) {
    GuestMm.ExitMmap r = mm.exitMmap();
    exits.add(r);
    if (r.bug()) {
      log.add(String.format("kernel BUG at mm/mmap.c: exit_mmap: mm %d nr_ptes = %d, expected 0", r.mm(), r.nrPtesLeft()));
    }
    driver.destroyContext(this, mm);
  }
}
