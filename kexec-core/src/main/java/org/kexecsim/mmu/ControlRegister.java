package org.kexecsim.mmu;

/** The registers {@link ControlRegisterRules} governs. */
public enum ControlRegister {
  CR0,
  CR3,
  CR4,
  EFER
}
