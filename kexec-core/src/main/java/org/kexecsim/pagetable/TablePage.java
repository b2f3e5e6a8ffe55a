package org.kexecsim.pagetable;

/**
 * A page of paging structures a builder allocated.
 *
 * @param physical the page's physical address
 * @param level 1 for a page table (PTEs) up to 5 for a PML5; for PAE, 3 is the PDPT
 * @param name the SDM's name of the entries it holds: PTE, PDE, PDPTE, PML4E, PML5E
 */
public record TablePage(long physical, int level, String name) {}
