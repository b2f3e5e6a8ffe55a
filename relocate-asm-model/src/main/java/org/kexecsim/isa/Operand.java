package org.kexecsim.isa;

/** An instruction operand in the modelled subset. */
public sealed interface Operand permits Gpr, Imm, Mem {}
