package org.kexecsim.uml.host;

/** What a ptrace request returns. */
public sealed interface PtraceReply {
  record Done() implements PtraceReply {}

  record Regs(Registers regs) implements PtraceReply {}

  record Word(long value) implements PtraceReply {}

  /** struct ptrace_faultinfo of the skas3 patch: no trap number (hence skas0's own faultinfo). */
  record Fault(boolean isWrite, long address) implements PtraceReply {}

  /** PTRACE_GETSIGINFO: the stop's signal, with the fault's context for a SIGSEGV. */
  record Siginfo(Signal signal) implements PtraceReply {}

  PtraceReply DONE = new Done();
}
