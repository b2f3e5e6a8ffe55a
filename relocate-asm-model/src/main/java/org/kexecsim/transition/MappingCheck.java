package org.kexecsim.transition;

/**
 * A required mapping, checked by walking the table as the CPU would for a supervisor
 * instruction fetch (NXE on where the arch has it).
 *
 * @param executable the fetch reaches {@code expectedPhysical}
 * @param outcome "mapped 4K → 0x..." or the fault, or the #GP of loading the root
 */
public record MappingCheck(
    String name, long root, long virtual, long expectedPhysical, boolean executable, String outcome) {}
