package org.kexecsim.uml.mode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.isa.Assembler;
import org.kexecsim.isa.Assembly;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.HostVma;
import org.kexecsim.uml.host.Physmem;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.host.PtraceRequest;
import org.kexecsim.uml.host.Registers;
import org.kexecsim.uml.host.SigContext;
import org.kexecsim.uml.host.Signal;
import org.kexecsim.uml.host.WaitStatus;
import org.kexecsim.uml.kernel.HostOp;
import org.kexecsim.uml.kernel.UmlKernel;

/**
 * The stubs are machine code the CPU model runs one instruction per host step, in the stub
 * process's address space: single-stepped here, every step lands on an instruction of the
 * assembled routine, and the effects are the host's (a mapping made, faultinfo written).
 */
class StubSingleStepTest {
  static final long WINDOW = 0x1000_0000L;

  /** Steps {@code p} until it stops; returns the ip of each executed instruction. */
  static List<Long> singleStep(HostMachine host, HostProcess p) {
    List<Long> ips = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      long ip = p.regs().ip();
      if (!host.step(p)) {
        return ips;
      }
      ips.add(ip);
    }
    throw new AssertionError(p + " did not stop within 1000 instructions");
  }

  static Set<Long> starts(String source, HostArch a, long origin) {
    Assembly asm = Assembler.assemble(source, a.wordSize() * 8, origin);
    Set<Long> s = new HashSet<>();
    for (Assembly.ListingLine l : asm.listing()) {
      if (l.length() > 0) {
        s.add(l.address());
      }
    }
    return s;
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void the2005StubPopsOneRegisterSetAnInstructionAtATimeAndStops(HostArch arch) {
    UmlKernel k = new UmlKernel(new UmlMode.Skas0(Skas0Options.PATCHED).driver(), arch, 1, 8L << 20, 4);
    HostMachine host = k.host();
    k.ledger().begin("stub-under-test"); // the host charges every step to an open operation
    HostProcess child = host.spawn(k.kernelProcess(), "stub-under-test");
    host.syscall(child, Syscall.MMAP, arch.stubCode(), 4096, Prot.READ | Prot.EXEC, 0x11, Physmem.FD,
        arch == HostArch.I386 ? StubPages.CODE_OFFSET >>> 12 : StubPages.CODE_OFFSET);
    long dataFrame = k.frames().allocateZeroed();
    host.syscall(child, Syscall.MMAP, arch.stubData(), 4096, Prot.RW, 0x11, Physmem.FD,
        arch == HostArch.I386 ? dataFrame >>> 12 : dataFrame);
    host.traceMe(child, k.kernelProcess());
    host.syscall(child, Syscall.KILL, child.pid(), 19);
    host.wait(k.kernelProcess(), child.pid());
    long frame = k.frames().allocateZeroed();
    SyscallBatch.load(host, dataFrame, List.of(new HostOp.Map(WINDOW, 4096, frame, Prot.RW)));
    SyscallBatch.launch(host, k.kernelProcess(), child);
    long calls = child.syscallCount();

    List<Long> ips = singleStep(host, child);

    Set<Long> listing = starts(StubCode.stub2005(arch), arch, arch.stubCode());
    assertEquals(arch.stubCode(), ips.getFirst());
    assertTrue(listing.containsAll(ips), "every step starts an instruction of the stub: " + ips);
    // one record: 7 pops, test, jz, syscall, the count and the return kept, cmp, jb (15); then the
    // terminating 0: pop, test, jz (3); then getpid, kill(pid, SIGSTOP) (6)
    assertEquals(24, ips.size(), ips.toString());
    assertEquals(3, child.syscallCount() - calls, "mmap, getpid, kill");
    WaitStatus w = host.wait(k.kernelProcess(), child.pid());
    assertTrue(w instanceof WaitStatus.Stopped(int pid, Signal s) && s.number() == 19, w.toString());
    HostVma v = child.space().vmaAt(WINDOW);
    assertEquals(host.physmem().hostPhysical(frame), v.physical());
    assertEquals(1, host.physmem().readU32(dataFrame + StubPages.BATCH_DONE));
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void todaysQueueStubAndSegvHandlerRunOnTheCpuModel(HostArch arch) {
    UmlKernel k = new UmlKernel(new PtraceDriver(), arch, 1, 8L << 20, 4);
    HostMachine host = k.host();
    HostProcess kernel = k.kernelProcess();
    k.ledger().begin("stub-under-test");
    HostProcess child = host.spawn(kernel, "stub-under-test");
    long shift = arch == HostArch.I386 ? 12 : 0;
    long code = PtraceDriver.codeVa(arch);
    long data = PtraceDriver.dataVa(arch);
    long f0 = k.frames().allocateZeroed();
    long f1 = k.frames().allocateZeroed();
    host.syscall(child, Syscall.MMAP, code, 4096, Prot.READ | Prot.EXEC, 0x11, Physmem.FD, StubPages.CODE_OFFSET >>> shift);
    host.syscall(child, Syscall.MMAP, data, 4096, Prot.RW, 0x11, Physmem.FD, f0 >>> shift);
    host.syscall(child, Syscall.MMAP, data + 4096, 4096, Prot.RW, 0x11, Physmem.FD, f1 >>> shift);
    host.sigaltstack(child, data + 8192);
    host.sigaction(child, new Signal.Sigsegv(null), code + StubCode.HANDLER);
    host.traceMe(child, kernel);
    host.syscall(child, Syscall.KILL, child.pid(), 19);
    host.wait(kernel, child.pid());

    long frame = k.frames().allocateZeroed();
    StubQueue.write(host.physmem(), f0, arch, List.of(
        new HostOp.Map(WINDOW, 8192, frame, Prot.READ), new HostOp.Unmap(WINDOW + 4096, 4096)));
    host.ptrace(kernel, new PtraceRequest.SetRegs(child.pid(), Registers.at(code + StubCode.STUB, data + 8192)));
    host.ptrace(kernel, new PtraceRequest.Cont(child.pid(), null));
    List<Long> ips = singleStep(host, child);
    assertTrue(starts(StubCode.stubToday(arch), arch, code).containsAll(ips), ips.toString());
    assertTrue(host.wait(kernel, child.pid()) instanceof WaitStatus.Stopped(int pid, Signal s) && s.number() == 5);
    assertEquals(Prot.READ, child.space().vmaAt(WINDOW).prot());
    assertEquals(null, child.space().vmaAt(WINDOW + 4096), "the second entry unmapped the second page");
    assertEquals(0, arch.readWord(host.physmem(), f0 + (long) StubQueue.ERR * arch.wordSize()));

    SigContext ctx = new SigContext(WINDOW + 0x123, 7, 14);
    host.ptrace(kernel, new PtraceRequest.Cont(child.pid(), new Signal.Sigsegv(ctx)));
    List<Long> handler = singleStep(host, child);
    assertEquals(code + StubCode.HANDLER, handler.getFirst());
    assertTrue(starts(StubCode.handler(arch, true), arch, code + StubCode.HANDLER).containsAll(handler), handler.toString());
    assertEquals(8, handler.size(), "seven moves and int3: " + handler);
    FaultInfo fi = FaultInfo.read(host.physmem(), f0, arch);
    assertEquals(new FaultInfo(WINDOW + 0x123, 7, 14), fi);
  }
}
