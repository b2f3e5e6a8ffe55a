package org.kexecsim.dump;

/**
 * One ELF note (gABI "Note Section"): a name, a type and a descriptor, each field 4 bytes, name
 * and descriptor padded to 4 bytes. {@code descOffset} is where the descriptor starts in the
 * file; the bytes stay in the mapping.
 */
public record Note(long headerOffset, String name, int nType, long descOffset, long nDescsz) {}
