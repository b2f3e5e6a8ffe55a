/**
 * The page tables that carry the CPU from the crashed kernel to the identity-mapped control
 * page, one {@link org.kexecsim.transition.TransitionDesign} per era (legacy, page-table-a,
 * single-table, mainline), and {@link org.kexecsim.transition.Preparation}, which runs a load in
 * the kernel's order and judges it: the old CR3's tables byte for byte, the control page's two
 * mappings by a supervisor fetch, and the conflicts of the 2006 review ({@link
 * org.kexecsim.transition.PrepareReport}).
 */
package org.kexecsim.transition;
