package org.kexecsim.uml.mode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageFaultErrorCode;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.kernel.GuestMm;
import org.kexecsim.uml.kernel.GuestOperation;
import org.kexecsim.uml.kernel.HostOp;
import org.kexecsim.uml.kernel.UmlKernel;

/** The skas0 patch's mechanisms, checked on real bytes in the host's physical memory. */
class Skas0Test {
  static final long WINDOW = 0x1000_0000L;

  static UmlKernel boot(HostArch arch, Skas0Options o, long seed) {
    return new UmlKernel(new UmlMode.Skas0(o).driver(), arch, seed, 8L << 20, 4);
  }

  static long hostPa(HostMachine host, HostProcess p, long va) {
    return new PageWalker(host.memory()).walk(p.space().paging(), va, Access.USER, false);
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void theStubPagesSitAboveTheStackMappedFromPhysmemIntoTheHostProcess(HostArch arch) {
    UmlKernel k = boot(arch, Skas0Options.PATCHED, 1);
    HostMachine host = k.host();
    HostProcess h = host.process(k.current().hostPid());
    long code = hostPa(host, h, arch.stubCode());
    assertEquals(host.physmem().hostPhysical(StubPages.CODE_OFFSET), code);
    byte[] bytes = new byte[4096];
    host.memory().read(code, bytes, 0, bytes.length);
    assertArrayEquals(StubCode.page(arch, false), bytes);
    long data = hostPa(host, h, arch.stubData());
    assertEquals(host.physmem().hostPhysical(k.current().mm().stubDataFrame()), data);
    assertTrue(k.current().mm().stackTop() <= arch.stubCode(), "the stack is below the stub");
  }

  @Test
  void everyAddressSpaceHasItsOwnHostProcessAndDataPageButSharesTheCodePage() {
    UmlKernel k = boot(HostArch.X86_64, Skas0Options.PATCHED, 1);
    k.perform(new GuestOperation.Fork());
    var tasks = k.tasks();
    HostMachine host = k.host();
    HostProcess a = host.process(tasks.get(0).hostPid());
    HostProcess b = host.process(tasks.get(1).hostPid());
    assertNotEquals(a.pid(), b.pid());
    assertEquals(hostPa(host, a, HostArch.X86_64.stubCode()), hostPa(host, b, HostArch.X86_64.stubCode()));
    assertNotEquals(hostPa(host, a, HostArch.X86_64.stubData()), hostPa(host, b, HostArch.X86_64.stubData()));
    assertEquals(3, host.processCount(), "the kernel and one host process per mm");
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void theSegvHandlerLeavesCr2AndTheErrorCodeInTheFaultinfoAtTheBaseOfTheStubStack(HostArch arch) {
    UmlKernel k = boot(arch, Skas0Options.PATCHED, 1);
    k.perform(new GuestOperation.Mmap(WINDOW, 2, Prot.RW, false));
    k.perform(new GuestOperation.Touch(WINDOW + 0x10, false));
    FaultInfo fi = FaultInfo.read(k.host().physmem(), k.current().mm().stubDataFrame(), arch);
    assertEquals(new FaultInfo(WINDOW + 0x10, PageFaultErrorCode.US, 14), fi);
    k.perform(new GuestOperation.Touch(WINDOW + 0x20, true)); // mapped read-only: protection fault
    fi = FaultInfo.read(k.host().physmem(), k.current().mm().stubDataFrame(), arch);
    assertEquals(WINDOW + 0x20, fi.cr2());
    assertEquals(PageFaultErrorCode.P | PageFaultErrorCode.WR | PageFaultErrorCode.US, fi.errorCode());
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void theStubRunsRegisterSetsUntilSyscallZeroAndStopsAtTheFirstFailure(HostArch arch) {
    UmlKernel k = boot(arch, Skas0Options.PATCHED, 1);
    HostMachine host = k.host();
    long data = k.current().mm().stubDataFrame();
    k.ledger().begin("stop");
    HostProcess h = stopped(k, arch);
    k.ledger().end();
    List<HostOp> ops = List.of(
        new HostOp.Map(WINDOW, 4096, 0x20000, Prot.RW),
        new HostOp.Protect(WINDOW + 1, 4096, Prot.READ), // unaligned: EINVAL
        new HostOp.Map(WINDOW + 4096, 4096, 0x21000, Prot.RW));
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> {
          k.ledger().begin("inject");
          try {
            SyscallBatch.run(host, k.kernelProcess(), h, data, ops, 10);
          } finally {
            k.ledger().end();
          }
        });
    assertTrue(e.getMessage().contains("-22"), e.getMessage());
    assertEquals(2, host.readWord(host.physmem().hostPhysical(data + StubPages.BATCH_DONE)));
    assertTrue(hostPa(host, h, WINDOW) >= 0, "the first record ran");
    assertTrue(hostPa(host, h, WINDOW + 4096) < 0, "the one after the failure did not");
  }

  @Test
  void taskSizeIsLoweredToAPgdirBoundaryBelowTheStub() {
    assertEquals(0x7f_8000_0000L, boot(HostArch.X86_64, Skas0Options.PATCHED, 1).current().mm().taskSize());
    assertEquals(0xbfc0_0000L, boot(HostArch.I386, Skas0Options.PATCHED, 1).current().mm().taskSize());
    assertEquals(HostArch.X86_64.stubCode(),
        boot(HostArch.X86_64, new Skas0Options(false, true, 0), 1).current().mm().taskSize());
  }

  /** Boots, runs fork + exit of the child, and returns what exit_mmap said about the child's mm. */
  static GuestMm.ExitMmap exitOfAChild(HostArch arch, Skas0Options o, long seed) {
    UmlKernel k = boot(arch, o, seed);
    k.perform(new GuestOperation.Fork());
    k.perform(new GuestOperation.Exit());
    return k.exits().getLast();
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void withoutTheDecrementExitMmapFindsTheStubPtePageStillCounted(HostArch arch) {
    GuestMm.ExitMmap r = exitOfAChild(arch, new Skas0Options(true, false, 0), 1);
    assertEquals(1, r.nrPtesLeft());
    assertTrue(r.bug());
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void withTheDecrementAndTheLoweredTaskSizeExitMmapIsCleanWhereverTheStackLands(HostArch arch) {
    for (long seed = 1; seed <= 40; seed++) {
      UmlKernel k = boot(arch, Skas0Options.PATCHED, seed);
      k.perform(new GuestOperation.Fork());
      k.perform(new GuestOperation.Exec(8));
      k.perform(new GuestOperation.Exit());
      assertFalse(k.exits().stream().anyMatch(GuestMm.ExitMmap::bug), "seed " + seed + ": " + k.log());
      assertTrue(k.log().isEmpty());
    }
  }

  @Test
  void withTheDecrementButWithoutLoweringTaskSizeAStackInTheStubsPtePageBreaksTheCount() {
    // stack randomization puts the stack in the stub's 2 MiB PTE span for some seeds: then
    // free_pgtables frees that page too and the decrement makes nr_ptes -1
    Skas0Options o = new Skas0Options(false, true, 0);
    boolean sawBug = false;
    boolean sawClean = false;
    for (long seed = 1; seed <= 40; seed++) {
      GuestMm.ExitMmap r = exitOfAChild(HostArch.X86_64, o, seed);
      if (r.bug()) {
        assertEquals(-1, r.nrPtesLeft());
        sawBug = true;
      } else {
        sawClean = true;
      }
    }
    assertTrue(sawBug && sawClean);
  }

  @Test
  void theBugIsLoggedByTheKernel() {
    UmlKernel k = boot(HostArch.X86_64, new Skas0Options(true, false, 0), 1);
    k.perform(new GuestOperation.Fork());
    k.perform(new GuestOperation.Exit());
    assertEquals(1, k.log().size());
    assertTrue(k.log().getFirst().contains("nr_ptes = 1"), k.log().getFirst());
  }

  @Test
  void aPageFaultCostsThreeRoundTripsWhateverTheBatchCapacity() {
    for (int capacity : new int[] {1, 0}) {
      UmlKernel k = boot(HostArch.X86_64, Skas0Options.PATCHED.withBatchCapacity(capacity), 1);
      k.perform(new GuestOperation.Mmap(WINDOW, 1, Prot.RW, false));
      k.perform(new GuestOperation.Touch(WINDOW, true));
      // resume->SIGSEGV stop, CONT(SIGSEGV)->handler's SIGSTOP, stub run->SIGSTOP
      assertEquals(3, k.ledger().operation("touch-write").get(Cost.ROUND_TRIP));
    }
  }

  @Test
  void batchCapacityFollowsFromTheDataPage() {
    // 4096 - 64 header - 1024 signal frame, 7-word records
    assertEquals(53, StubPages.capacity(HostArch.X86_64));
    assertEquals(107, StubPages.capacity(HostArch.I386));
  }

  @Test
  void x86_64FaultinfoIsErrorCodeThenCr2ThenTrapNo() {
    // arch/x86/um/shared/sysdep/faultinfo_64.h: {int error_code; unsigned long cr2; int trap_no}
    UmlKernel k = boot(HostArch.X86_64, Skas0Options.PATCHED, 1);
    k.perform(new GuestOperation.Mmap(WINDOW, 1, Prot.RW, false));
    k.perform(new GuestOperation.Touch(WINDOW + 0x48, true));
    var pm = k.host().physmem();
    long base = k.current().mm().stubDataFrame();
    assertEquals(PageFaultErrorCode.US | PageFaultErrorCode.WR, pm.readU32(base));
    assertEquals(WINDOW + 0x48, pm.readU64(base + 8));
    assertEquals(14, pm.readU32(base + 16));
  }

  @Test
  void anotherThreadCanRewriteARegisterSetWhileTheStubRunsIt() {
    // seed 003: the data page is writable by the process, so one thread can change the
    // syscalls another thread's stub is executing; here, step by step
    HostArch arch = HostArch.X86_64;
    UmlKernel k = boot(arch, Skas0Options.PATCHED, 1);
    HostMachine host = k.host();
    long data = k.current().mm().stubDataFrame();
    k.ledger().begin("race");
    HostProcess h = stopped(k, arch);
    HostProcess thread = host.cloneThread(h, "guest-thread");
    var evil = new org.kexecsim.uml.host.UserProgram();
    host.installUserCode(0x99, evil);
    thread.setRegs(org.kexecsim.uml.host.Registers.at(0x99, 0));
    List<HostOp> ops = List.of(
        new HostOp.Map(WINDOW, 4096, 0x20000, Prot.RW),
        new HostOp.Map(WINDOW + 4096, 4096, 0x21000, Prot.RW));
    SyscallBatch.load(host, data, ops);
    SyscallBatch.launch(host, k.kernelProcess(), h);
    assertTrue(host.step(h), "the stub executes the first record");
    long secondAddressWord = arch.stubData() + StubPages.BATCH_RECORDS + StubPages.RECORD_WORDS * 8L + 8;
    evil.add(new org.kexecsim.uml.host.UserStep.Access(secondAddressWord + 3, true, 0x7f));
    assertTrue(host.step(thread), "the other thread's store lands in the data page");
    SyscallBatch.collect(host, k.kernelProcess(), h, data, ops);
    k.ledger().end();
    assertTrue(hostPa(host, h, WINDOW) >= 0);
    assertTrue(hostPa(host, h, WINDOW + 4096) < 0, "the kernel's second mapping never happened");
    assertTrue(hostPa(host, h, 0x7f00_1000L) >= 0, "the thread's address was mapped instead");
  }

  /** Brings the current process's running host child into a stop (at a getpid), as UML has it whenever it flushes. */
  private static HostProcess stopped(UmlKernel k, HostArch arch) {
    HostProcess h = k.host().process(k.current().hostPid());
    k.current().program().add(new org.kexecsim.uml.host.UserStep.SyscallInsn(arch.nr(HostArch.Syscall.GETPID), 0, 0, 0, 0));
    k.host().wait(k.kernelProcess(), h.pid());
    return h;
  }
}
