package org.kexecsim.kimage;

import java.util.Optional;
import org.kexecsim.memory.PhysicalMemory;

/**
 * What kexec_load needs from the running kernel: its architecture, its memory, totalram_pages(),
 * the crash region it reserved at boot, and its page allocator.
 */
public record KexecHost(
    Arch arch,
    PhysicalMemory memory,
    long totalRamPages,
    Optional<CrashRegion> crashRegion,
    FreePages freePages) {}
