package org.kexecsim.uml.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.uml.host.HostArch.Syscall;

/** Host execve: the path is read through the caller's page table; success is what a breakout is. */
class HostExecveTest {
  static final long VA = 0x1000_0000L;

  static void putString(HostMachine h, long physmemOffset, String s) {
    byte[] b = (s + "\0").getBytes(StandardCharsets.US_ASCII);
    h.physmem().write(physmemOffset, b, 0, b.length);
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void execveOfAHostShellReplacesTheImageAndStopsTheTraceeWithSigtrap(HostArch arch) {
    HostMachineTest.Setup s = HostMachineTest.setup(arch, false);
    HostMachine h = s.host();
    h.syscall(s.child(), Syscall.MMAP, VA, 4096, Prot.READ, 0x11, Physmem.FD, 0);
    putString(h, 0x10, "/bin/bash");
    h.ptrace(s.tracer(), new PtraceRequest.Cont(s.child().pid(), null));
    s.program().add(new UserStep.SyscallInsn(arch.nr(Syscall.EXECVE), VA + 0x10, 0, 0, 0));
    WaitStatus w = h.wait(s.tracer(), s.child().pid());
    assertInstanceOf(Signal.Sigtrap.class, ((WaitStatus.Stopped) w).signal());
    assertEquals(1, h.hostExecs().size());
    assertEquals("/bin/bash", h.hostExecs().getFirst().path());
    assertTrue(s.child().space().vmas().isEmpty(), "the old mappings are gone with the old image");
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void anUnreadablePathIsEfaultAndAnUnknownOneEnoent(HostArch arch) {
    HostMachineTest.Setup s = HostMachineTest.setup(arch, false);
    HostMachine h = s.host();
    assertEquals(-14, h.syscall(s.child(), Syscall.EXECVE, VA, 0, 0));
    h.syscall(s.child(), Syscall.MMAP, VA, 4096, Prot.READ, 0x11, Physmem.FD, 0);
    putString(h, 0, "/usr/games/nethack");
    assertEquals(-2, h.syscall(s.child(), Syscall.EXECVE, VA, 0, 0));
    putString(h, 0, "/bin/sh");
    assertEquals(-14, h.syscall(s.child(), Syscall.EXECVE, VA, VA + 0x10_0000, 0), "argv unmapped");
    assertTrue(h.hostExecs().isEmpty());
  }
}
