/**
 * The kimage as kernel/kexec.c and kernel/kexec_core.c build it: segments checked by {@link
 * org.kexecsim.kimage.SegmentRules the kernel's rules} with its errnos ({@link
 * org.kexecsim.kimage.KexecException}), the crash region from {@code crashkernel=} ({@link
 * org.kexecsim.kimage.CrashKernelSpec}, {@link org.kexecsim.kimage.CrashRegion}), control pages,
 * source pages that never land on another page's destination, and the indirection list written
 * into physical memory ({@link org.kexecsim.kimage.IndirectionList}) and read back the way
 * relocate_kernel reads it ({@link org.kexecsim.kimage.IndirectionWalk}).
 */
package org.kexecsim.kimage;
