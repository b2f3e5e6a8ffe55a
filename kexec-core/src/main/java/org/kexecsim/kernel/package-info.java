/**
 * A synthetic Linux kernel at the moment it crashed ({@link org.kexecsim.kernel.CrashedKernel},
 * built by {@link org.kexecsim.kernel.KernelBoot}): image and text mapping, direct map with large
 * pages, vmalloc pages, processes sharing the kernel half, GDT and IDT, per-CPU crash notes and
 * VMCOREINFO, deterministic from a seed and the RAM map.
 */
package org.kexecsim.kernel;
