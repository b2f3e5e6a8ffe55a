package org.kexecsim.transition;

import java.util.List;
import java.util.OptionalLong;

/**
 * What a design's machine_kexec_prepare (and, for the legacy designs, machine_kexec) left in
 * memory.
 *
 * @param switchRoot the root loaded into CR3 first (the live pgd for the legacy i386 design)
 * @param copyRoot the identity table the copy loop runs under; empty where it runs with paging
 *     off (i386)
 * @param required the translations the switch needs, to be checked by walking
 * @param splits large identity pages split to make room for a 4 KiB mapping
 */
public record TransitionTables(
    List<AllocatedPage> pages,
    long switchRoot,
    OptionalLong copyRoot,
    List<RequiredMapping> required,
    List<Conflict> conflicts,
    int splits) {

  public TransitionTables {
    pages = List.copyOf(pages);
    required = List.copyOf(required);
    conflicts = List.copyOf(conflicts);
  }
}
