package org.kexecsim.isa;

/** A decoded instruction and how many bytes it occupied. */
public record Decoded(Instruction instruction, int length) {}
