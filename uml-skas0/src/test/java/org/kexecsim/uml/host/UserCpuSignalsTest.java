package org.kexecsim.uml.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.mmu.ExceptionVector;
import org.kexecsim.uml.cost.CostLedger;
import org.kexecsim.uml.host.HostArch.Syscall;

/**
 * A CPU exception in a host process's machine code becomes the signal Linux sends for it
 * (arch/x86/kernel/traps.c), not always SIGSEGV: #UD is SIGILL, #DE SIGFPE, #BP SIGTRAP.
 */
class UserCpuSignalsTest {
  static final long CODE = 0x4000_0000L;

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void ud2InMachineCodeStopsTheTraceeWithSigillAtTheInstruction(HostArch arch) {
    CostLedger ledger = new CostLedger();
    ledger.begin("test");
    HostMachine host = new HostMachine(arch, 1L << 20, false, ledger);
    HostProcess tracer = host.boot("tracer");
    HostProcess child = host.spawn(tracer, "child");
    // nop; ud2 (SDM Vol. 2 UD: 0F 0B) at the start of physmem, mapped R+X
    host.physmem().write(0, new byte[] {(byte) 0x90, 0x0f, 0x0b}, 0, 3);
    assertEquals(CODE, host.syscall(child, Syscall.MMAP, CODE, 4096, Prot.READ | Prot.EXEC, 0x11, Physmem.FD, 0));
    host.traceMe(child, tracer);
    child.setRegs(Registers.at(CODE, 0));

    WaitStatus w = host.wait(tracer, child.pid());

    Signal s = assertInstanceOf(WaitStatus.Stopped.class, w).signal();
    assertEquals("SIGILL", s.name());
    assertEquals(4, s.number());
    assertEquals(CODE + 1, child.regs().ip(), "#UD is a fault: ip stays on the ud2 after the nop ran");
  }

  @Test
  void everyVectorTheCpuModelRaisesMapsAsTrapsDotCDoes() {
    assertEquals(Signal.SIGFPE, UserCpu.signalFor(ExceptionVector.DE));
    assertEquals(Signal.SIGILL, UserCpu.signalFor(ExceptionVector.UD));
    assertEquals(Signal.SIGTRAP, UserCpu.signalFor(ExceptionVector.BP));
    assertEquals(Signal.SIGBUS, UserCpu.signalFor(ExceptionVector.NP));
    assertEquals(Signal.SIGBUS, UserCpu.signalFor(ExceptionVector.SS));
    for (ExceptionVector v : new ExceptionVector[] {ExceptionVector.GP, ExceptionVector.TS, ExceptionVector.PF}) {
      assertInstanceOf(Signal.Sigsegv.class, UserCpu.signalFor(v), v.toString());
    }
  }
}
