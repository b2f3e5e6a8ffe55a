package org.kexecsim.mmu;

import java.util.function.Function;
import org.kexecsim.memory.PhysicalMemory;

/**
 * Loading CR0, CR3, CR4 and EFER as one step and getting what the MMU walks with: the paging
 * state, or the fault the load raises (a PAE PDPTE with reserved bits: #GP, SDM §4.4.1). The one
 * place the control-register check is turned into a {@link PagingState}.
 */
public sealed interface PagingLoad {

  /** The registers load; {@code state} is what translations walk. */
  record Loaded(PagingState state) implements PagingLoad {}

  /** The CPU refuses the registers. */
  record Refused(ControlWrite.Refused fault) implements PagingLoad {}

  static PagingLoad of(long cr0, long cr3, long cr4, long efer, PhysicalMemory memory, CpuFeatures features,
      ReservedBitPolicy policy) {
    return switch (ControlRegisterRules.establish(cr0, cr3, cr4, efer, memory, features, policy)) {
      case ControlWrite.Accepted(ControlState s) -> new Loaded(PagingState.of(s, features, policy));
      case ControlWrite.Refused r -> new Refused(r);
    };
  }

  /** Reserved bits fault (a CPU's view), as {@link ControlRegisterRules#establish(long, long, long, long, PhysicalMemory, CpuFeatures)}. */
  static PagingLoad of(long cr0, long cr3, long cr4, long efer, PhysicalMemory memory, CpuFeatures features) {
    return of(cr0, cr3, cr4, efer, memory, features, ReservedBitPolicy.FAULT);
  }

  /** The state, or {@code failure}'s exception when the load was refused (for registers that must load). */
  default PagingState orThrow(Function<ControlWrite.Refused, ? extends RuntimeException> failure) {
    return switch (this) {
      case Loaded(PagingState s) -> s;
      case Refused(ControlWrite.Refused r) -> throw failure.apply(r);
    };
  }
}
