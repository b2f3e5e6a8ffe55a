package org.kexecsim.transition;

/**
 * A page a design wrote page-table entries into.
 *
 * @param role what it holds, in the kernel's words ("page_table_a pgd", "identity PMD")
 * @param used false for a page that was allocated but needed no entry (page_table_a when both
 *     mappings share a table)
 */
public record AllocatedPage(long physical, String role, PageOrigin origin, boolean used) {}
