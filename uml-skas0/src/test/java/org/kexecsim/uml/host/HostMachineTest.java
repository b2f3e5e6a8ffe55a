package org.kexecsim.uml.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.mmu.PageFaultErrorCode;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.cost.CostLedger;
import org.kexecsim.uml.host.HostArch.Syscall;

/** The host model: MMU-translated accesses, signals, ptrace and wait, on both arches. */
class HostMachineTest {
  static final long VA = 0x1000_0000L;

  record Setup(HostMachine host, CostLedger ledger, HostProcess tracer, HostProcess child, UserProgram program) {}

  /** A tracer and a stopped, traced child whose user code is {@code program}. */
  static Setup setup(HostArch arch, boolean skas3) {
    CostLedger ledger = new CostLedger();
    ledger.begin("test");
    HostMachine host = new HostMachine(arch, 1L << 20, skas3, ledger);
    HostProcess tracer = host.boot("tracer");
    HostProcess child = host.spawn(tracer, "child");
    UserProgram program = new UserProgram();
    host.installUserCode(0x42, program);
    child.setRegs(Registers.at(0x42, 0));
    host.ptrace(tracer, new PtraceRequest.Attach(child.pid()));
    assertInstanceOf(WaitStatus.Stopped.class, host.wait(tracer, child.pid()));
    return new Setup(host, ledger, tracer, child, program);
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void aUserWriteToAnUnmappedPageIsSigsegvWithTheMmuErrorCodeAndCr2(HostArch arch) {
    Setup s = setup(arch, false);
    s.program().add(new UserStep.Access(VA + 0x123, true, 1));
    s.host().ptrace(s.tracer(), new PtraceRequest.Cont(s.child().pid(), null));
    WaitStatus w = s.host().wait(s.tracer(), s.child().pid());
    // a tracee stops at signal delivery first (kernel/signal.c ptrace_signal)
    var seg = (Signal.Sigsegv) ((WaitStatus.Stopped) w).signal();
    assertEquals(VA + 0x123, seg.context().cr2());
    assertEquals(PageFaultErrorCode.US | PageFaultErrorCode.WR, seg.context().err());
    assertEquals(14, seg.context().trap());
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void aWriteToAReadOnlyMappingIsAProtectionFaultAndMprotectFixesIt(HostArch arch) {
    Setup s = setup(arch, false);
    HostMachine h = s.host();
    assertEquals(VA, h.syscall(s.child(), Syscall.MMAP, VA, 4096, Prot.READ, 0x11, Physmem.FD, 0));
    s.program().add(new UserStep.Access(VA, true, 1));
    h.ptrace(s.tracer(), new PtraceRequest.Cont(s.child().pid(), null));
    var st = (WaitStatus.Stopped) h.wait(s.tracer(), s.child().pid());
    assertEquals(PageFaultErrorCode.P | PageFaultErrorCode.WR | PageFaultErrorCode.US,
        ((Signal.Sigsegv) st.signal()).context().err());
    assertEquals(0, h.syscall(s.child(), Syscall.MPROTECT, VA, 4096, Prot.RW));
    h.ptrace(s.tracer(), new PtraceRequest.Cont(s.child().pid(), null)); // signal suppressed: retry
    assertInstanceOf(WaitStatus.StillRunning.class, h.wait(s.tracer(), s.child().pid()));
    assertEquals(1, h.memory().readU8(h.physmem().hostPhysical(0)));
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void aSigalrmSentToAStoppedTraceeStopsItAtItsNextResumeBeforeItsCode(HostArch arch) {
    Setup s = setup(arch, false);
    HostMachine h = s.host();
    s.program().add(new UserStep.SyscallInsn(arch.nr(Syscall.GETPID), 0, 0, 0, 0));
    h.alarm(s.tracer(), s.child().pid()); // os_alarm_process while the child is stopped
    assertEquals(HostProcess.State.STOPPED, s.child().state(), "a stopped child keeps it pending");
    h.ptrace(s.tracer(), new PtraceRequest.Sysemu(s.child().pid()));
    WaitStatus w = h.wait(s.tracer(), s.child().pid());
    assertEquals("SIGALRM", assertInstanceOf(WaitStatus.Stopped.class, w).signal().name());
    assertEquals(0, s.child().syscallCount(), "stopped before its first instruction");
    assertEquals(1, s.ledger().tickTotal(Cost.WAIT4), "that stop's wait4 is the tick's");
    assertEquals(1, s.ledger().tickTotal(Cost.ROUND_TRIP));
    // resumed without the signal (userspace(): "case SIGALRM: break"), it runs on to its call
    h.ptrace(s.tracer(), new PtraceRequest.Sysemu(s.child().pid()));
    assertInstanceOf(WaitStatus.SyscallStop.class, h.wait(s.tracer(), s.child().pid()));
    assertEquals(1, s.ledger().tickTotal(Cost.WAIT4), "the syscall stop is not");
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void aSigalrmForAProcessGoneIsDropped(HostArch arch) {
    Setup s = setup(arch, false);
    HostMachine h = s.host();
    // a live process is charged the signal; a dead one (zombie, then reaped: ESRCH) is not
    long before = s.ledger().total(Cost.SIGNAL);
    h.alarm(s.tracer(), s.child().pid());
    assertEquals(before + 1, s.ledger().total(Cost.SIGNAL), "SIGALRM to a live process");
    h.ptrace(s.tracer(), new PtraceRequest.Kill(s.child().pid()));
    long killed = s.ledger().total(Cost.SIGNAL);
    h.alarm(s.tracer(), s.child().pid()); // dead, not yet reaped
    assertEquals(killed, s.ledger().total(Cost.SIGNAL), "SIGALRM to a zombie");
    assertInstanceOf(WaitStatus.Killed.class, h.wait(s.tracer(), s.child().pid()));
    h.alarm(s.tracer(), s.child().pid()); // reaped: ESRCH
    assertEquals(killed, s.ledger().total(Cost.SIGNAL), "SIGALRM to a reaped pid");
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void sysemuStopsAtTheSyscallAndNeverRunsIt(HostArch arch) {
    Setup s = setup(arch, false);
    HostMachine h = s.host();
    s.program().add(new UserStep.SyscallInsn(arch.nr(Syscall.MMAP), VA, 4096, Prot.RW, 0x11));
    h.ptrace(s.tracer(), new PtraceRequest.Sysemu(s.child().pid()));
    assertInstanceOf(WaitStatus.SyscallStop.class, h.wait(s.tracer(), s.child().pid()));
    h.ptrace(s.tracer(), new PtraceRequest.Sysemu(s.child().pid()));
    h.wait(s.tracer(), s.child().pid());
    assertTrue(s.child().space().vmas().isEmpty(), "SYSEMU must not execute the host call");
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void ptraceSyscallRunsTheCallWhenResumed(HostArch arch) {
    Setup s = setup(arch, false);
    HostMachine h = s.host();
    s.program().add(new UserStep.SyscallInsn(arch.nr(Syscall.GETPID), 0, 0, 0, 0));
    h.ptrace(s.tracer(), new PtraceRequest.Syscall(s.child().pid(), null));
    assertInstanceOf(WaitStatus.SyscallStop.class, h.wait(s.tracer(), s.child().pid()));
    h.ptrace(s.tracer(), new PtraceRequest.Cont(s.child().pid(), null));
    h.wait(s.tracer(), s.child().pid());
    assertEquals(s.child().pid(), s.child().regs().ret());
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void aDeliveredSigsegvWritesTheSigcontextOnTheAlternateStack(HostArch arch) {
    Setup s = setup(arch, false);
    HostMachine h = s.host();
    long stack = 0x2000_0000L;
    h.syscall(s.child(), Syscall.MMAP, stack, 4096, Prot.RW, 0x11, Physmem.FD, arch == HostArch.I386 ? 1 : 4096);
    h.sigaltstack(s.child(), stack + 4096);
    h.sigaction(s.child(), new Signal.Sigsegv(null), 0x77);
    h.installUserCode(0x77, (host, p) -> false);
    s.program().add(new UserStep.Access(VA + 8, false, 0));
    h.ptrace(s.tracer(), new PtraceRequest.Cont(s.child().pid(), null));
    var st = (WaitStatus.Stopped) h.wait(s.tracer(), s.child().pid());
    h.ptrace(s.tracer(), new PtraceRequest.Cont(s.child().pid(), st.signal()));
    long frame = s.child().regs().sp();
    assertTrue(frame >= stack && frame < stack + 4096, "frame on the alternate stack");
    assertEquals(0x77, s.child().regs().ip());
    int w = arch.wordSize();
    long pagePa = h.physmem().hostPhysical(4096);
    long base = pagePa + (frame - stack);
    assertEquals(VA + 8, h.readWord(base + (long) SigFrame.SC_CR2 * w));
    assertEquals(PageFaultErrorCode.US, h.readWord(base + (long) SigFrame.SC_ERR * w));
    assertEquals(14, h.readWord(base + (long) SigFrame.SC_TRAPNO * w));
    assertEquals(1, s.ledger().totals().get(Cost.SIGNAL_HANDLER));
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void pokedataWritesThroughAReadOnlyMappingLikeFollForce(HostArch arch) {
    Setup s = setup(arch, false);
    HostMachine h = s.host();
    h.syscall(s.child(), Syscall.MMAP, VA, 4096, Prot.READ, 0x11, Physmem.FD, 0);
    h.ptrace(s.tracer(), new PtraceRequest.PokeData(s.child().pid(), VA + 16, 0x1234));
    var word = (PtraceReply.Word) h.ptrace(s.tracer(), new PtraceRequest.PeekData(s.child().pid(), VA + 16));
    assertEquals(0x1234, word.value());
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void mmapOfAnUnalignedFileOffsetIsEinval(HostArch arch) {
    Setup s = setup(arch, false);
    long off = arch == HostArch.I386 ? 0 : 12; // mmap2 offsets are in pages: always aligned
    long expected = arch == HostArch.I386 ? VA : -22;
    assertEquals(expected, s.host().syscall(s.child(), Syscall.MMAP, VA, 4096, Prot.RW, 0x11, Physmem.FD, off));
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void aStockHostHasNeitherProcMmNorFaultinfo(HostArch arch) {
    Setup s = setup(arch, false);
    assertThrows(IllegalStateException.class, () -> s.host().openProcMm(s.tracer()));
    assertThrows(IllegalStateException.class,
        () -> s.host().ptrace(s.tracer(), new PtraceRequest.FaultInfo(s.child().pid())));
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void procMmWritesChangeTheSpaceSwitchMmPutsTheChildIn(HostArch arch) {
    Setup s = setup(arch, true);
    HostMachine h = s.host();
    ProcMm mm = h.openProcMm(s.tracer());
    assertEquals(0, h.writeProcMm(s.tracer(), mm, new ProcMm.Op.Mmap(VA, 8192, Prot.RW, 0)));
    assertEquals(0, h.writeProcMm(s.tracer(), mm, new ProcMm.Op.Mprotect(VA, 4096, Prot.READ)));
    h.ptrace(s.tracer(), new PtraceRequest.SwitchMm(s.child().pid(), mm));
    s.program().add(new UserStep.Access(VA, true, 1));
    h.ptrace(s.tracer(), new PtraceRequest.Cont(s.child().pid(), null));
    h.wait(s.tracer(), s.child().pid());
    var fi = (PtraceReply.Fault) h.ptrace(s.tracer(), new PtraceRequest.FaultInfo(s.child().pid()));
    assertTrue(fi.isWrite());
    assertEquals(VA, fi.address());
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void threadsShareTheAddressSpaceAndRunStepByStep(HostArch arch) {
    Setup s = setup(arch, false);
    HostMachine h = s.host();
    h.syscall(s.child(), Syscall.MMAP, VA, 4096, Prot.RW, 0x11, Physmem.FD, 0);
    HostProcess t = h.cloneThread(s.child(), "thread");
    UserProgram other = new UserProgram();
    h.installUserCode(0x43, other);
    t.setRegs(Registers.at(0x43, 0));
    s.program().add(new UserStep.Access(VA, true, 7));
    other.add(new UserStep.Access(VA, false, 0));
    h.ptrace(s.tracer(), new PtraceRequest.Cont(s.child().pid(), null));
    assertTrue(h.step(s.child()), "one step: the store");
    assertTrue(h.step(t), "one step: the load, after the store");
    assertEquals(7, other.lastRead());
    assertTrue(!h.step(t), "nothing left to run");
  }
}
