package org.kexecsim.uml.mode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.uml.UmlInputException;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.cost.OperationCosts;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Physmem;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.kernel.GuestOperation;
import org.kexecsim.uml.kernel.UmlKernel;
import org.kexecsim.uml.sim.SimulationResult;
import org.kexecsim.uml.sim.UmlSimulation;
import org.kexecsim.uml.sim.Workload;

/** The seeds' and the research notes' claims, as consequences of running the three modes. */
class ModesTest {
  static final UmlMode TT = new UmlMode.Tt();
  static final UmlMode SKAS3 = new UmlMode.Skas3();
  static final UmlMode SKAS0 = new UmlMode.Skas0(Skas0Options.PATCHED);

  static SimulationResult run(UmlMode m, Workload w, long n, HostArch arch) {
    return UmlSimulation.run(new UmlSimulation.Settings(m, w, n, arch, 7));
  }

  static UmlKernel boot(UmlMode m) {
    return new UmlKernel(m.driver(), HostArch.X86_64, 1, 8L << 20, 4);
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void skas0NeedsThreeRoundTripsPerFaultSkas3OneTtTwo(HostArch arch) {
    // research notes §5: 3 round trips per fault measured on a real UML in ptrace mode;
    // seed: skas0 page faults "involve extra round-trips to the child"
    assertEquals(3.0, run(SKAS0, Workload.FAULT_STORM, 64, arch).roundTripsPerFault());
    assertEquals(1.0, run(SKAS3, Workload.FAULT_STORM, 64, arch).roundTripsPerFault());
    assertEquals(2.0, run(TT, Workload.FAULT_STORM, 64, arch).roundTripsPerFault());
  }

  @Test
  void batchingAmortizesForkAndExecButNotFaults() {
    UmlMode unbatched = new UmlMode.Skas0(Skas0Options.PATCHED.withBatchCapacity(1));
    SimulationResult one = run(unbatched, Workload.FORK_EXEC, 5, HostArch.X86_64);
    SimulationResult many = run(SKAS0, Workload.FORK_EXEC, 5, HostArch.X86_64);
    for (String op : new String[] {"fork", "exec"}) {
      OperationCosts a = one.operation(op);
      OperationCosts b = many.operation(op);
      assertEquals(a.get(Cost.HOST_MM_OP), b.get(Cost.HOST_MM_OP), "the same host work");
      assertTrue(a.get(Cost.ROUND_TRIP) > 3 * b.get(Cost.ROUND_TRIP), op + ": " + a + " vs " + b);
    }
    assertEquals(run(unbatched, Workload.FAULT_STORM, 32, HostArch.X86_64).roundTripsPerFault(),
        run(SKAS0, Workload.FAULT_STORM, 32, HostArch.X86_64).roundTripsPerFault());
  }

  @Test
  void aBatchedFlushCostsOneRoundTripPerDataPageFull() {
    SimulationResult r = run(SKAS0, Workload.MMAP_BURST, 10, HostArch.X86_64);
    OperationCosts mmap = r.operation("mmap");
    long ops = mmap.get(Cost.HOST_MM_OP);
    long runs = mmap.get(Cost.ROUND_TRIP) - mmap.count(); // one round trip is the mmap syscall itself
    int cap = StubPages.capacity(HostArch.X86_64);
    assertTrue(ops > runs, "several ops per stub run");
    assertTrue(runs <= mmap.count() * ((ops / mmap.count() + cap - 1) / cap + 1), r.toString());
  }

  @Test
  void skas3WritesProcMmInsteadOfRoundTrips() {
    OperationCosts mmap = run(SKAS3, Workload.MMAP_BURST, 10, HostArch.X86_64).operation("mmap");
    assertEquals(1.0, mmap.perOperation(Cost.ROUND_TRIP));
    // one write() per op plus the wait4 of the syscall stop
    assertEquals(mmap.get(Cost.HOST_MM_OP) + mmap.count(), mmap.get(Cost.HOST_SYSCALL));
  }

  @Test
  void aSyscallIsOneRoundTripInSkasAndTwoStopsWithTwoSignalsInTt() {
    for (UmlMode m : new UmlMode[] {SKAS0, SKAS3}) {
      UmlKernel k = boot(m);
      k.perform(new GuestOperation.Getpid());
      OperationCosts c = k.ledger().operation("syscall");
      assertEquals(1, c.get(Cost.ROUND_TRIP), m.cliName());
      assertEquals(0, c.get(Cost.SIGNAL), m.cliName());
    }
    UmlKernel k = boot(TT);
    k.perform(new GuestOperation.Getpid());
    OperationCosts c = k.ledger().operation("syscall");
    assertEquals(2, c.get(Cost.ROUND_TRIP));
    assertEquals(2, c.get(Cost.SIGNAL)); // SIGUSR2 in, SIGUSR1 out (tt/tracer.c)
    assertEquals(1, c.get(Cost.SIGNAL_HANDLER));
  }

  @Test
  void aContextSwitchAddsPtraceSwitchMmInSkas3AndNothingInSkas0() {
    OperationCosts s0 = run(SKAS0, Workload.CTX_SWITCH, 10, HostArch.X86_64).operation("context-switch");
    OperationCosts s3 = run(SKAS3, Workload.CTX_SWITCH, 10, HostArch.X86_64).operation("context-switch");
    assertEquals(1.0, s0.perOperation(Cost.ROUND_TRIP), "only the yield's own stop");
    assertEquals(1.0, s3.perOperation(Cost.ROUND_TRIP));
    assertEquals(s0.perOperation(Cost.PTRACE) + 1, s3.perOperation(Cost.PTRACE));
    assertEquals(0, s0.get(Cost.HOST_MM_OP));
    // tt: the yield's entry stop, then the other process's SIGUSR1 return stop, plus the pipe
    // write and read of switch_to_tt
    OperationCosts tt = run(TT, Workload.CTX_SWITCH, 10, HostArch.X86_64).operation("context-switch");
    assertEquals(2.0, tt.perOperation(Cost.ROUND_TRIP));
    assertTrue(tt.perOperation(Cost.HOST_SYSCALL) >= s0.perOperation(Cost.HOST_SYSCALL) + 2);
  }

  @Test
  void hostProcessesPerMode() {
    // tt: one per process plus the tracing thread; skas3: one per CPU; skas0: one per mm
    int[] expected = {3, 2, 3};
    UmlMode[] modes = {TT, SKAS3, SKAS0};
    for (int i = 0; i < modes.length; i++) {
      UmlKernel k = boot(modes[i]);
      k.perform(new GuestOperation.Fork());
      k.perform(new GuestOperation.Fork());
      assertEquals(expected[i] + (i == 1 ? 0 : 1), k.host().processCount(), modes[i].cliName());
    }
  }

  @Test
  void inTtAGuestProcessReadsKernelMemoryThroughTheHostMmu() {
    UmlKernel k = boot(TT);
    Physmem pm = k.host().physmem();
    pm.writeU8(UmlKernel.KERNEL_DATA_OFFSET, 0xA5); // a kernel secret
    long kernelVa = TtDriver.kernelBase(HostArch.X86_64) + UmlKernel.KERNEL_DATA_OFFSET;
    k.perform(new GuestOperation.Touch(kernelVa, false));
    assertEquals(0xA5, k.current().program().lastRead());
    assertEquals(0, k.ledger().totals().get(Cost.GUEST_PAGE_FAULT), "no fault: the host MMU allowed it");
    for (UmlMode m : new UmlMode[] {SKAS0, SKAS3}) {
      UmlKernel s = boot(m);
      assertThrows(UmlInputException.class, () -> s.perform(new GuestOperation.Touch(kernelVa, false)));
    }
  }

  @Test
  void inSkas0TheDataPageIsWritableByTheGuestProcess() {
    // seed 003: the data page "is writeable by the process", the SMP breakout surface
    UmlKernel k = boot(SKAS0);
    long data = HostArch.X86_64.stubData() + StubPages.BATCH_RECORDS;
    k.perform(new GuestOperation.Touch(data, true));
    assertEquals(0, k.ledger().totals().get(Cost.GUEST_PAGE_FAULT));
    assertEquals(0x5a, k.host().physmem().readU8(k.current().mm().stubDataFrame() + StubPages.BATCH_RECORDS));
  }

  @Test
  void mprotectReachesTheHost() {
    UmlKernel k = boot(SKAS0);
    long va = Workload.WINDOW;
    k.perform(new GuestOperation.Mmap(va, 1, Prot.RW, true));
    k.perform(new GuestOperation.Mprotect(va, 1, Prot.READ));
    assertThrows(UmlInputException.class, () -> k.perform(new GuestOperation.Touch(va, true)));
  }
}
