package org.kexecsim.dump;

/**
 * One program header as the file states it (ELF gABI "Program Header"), widened to 64 bits,
 * plus where in the file it was found.
 */
public record ProgramHeader(
    long headerOffset, int pType, int pFlags, long pOffset, long pVaddr, long pPaddr, long pFilesz, long pMemsz, long pAlign) {}
