/**
 * UML address spaces on the shared x86 MMU model.
 *
 * <ul>
 *   <li>{@code host}: the host kernel. Processes have real page tables in one physical memory;
 *       accesses go through {@link org.kexecsim.mmu.PageWalker}, a #PF becomes SIGSEGV with the
 *       MMU's error code and cr2. Signals, ptrace, wait4, /proc/mm. Processes run lazily and one
 *       {@link org.kexecsim.uml.host.Code} step at a time ({@code HostMachine.step}), so a
 *       scheduler can interleave host threads deterministically.
 *   <li>{@code kernel}: the UML kernel: guest mms with x86 page tables in UML's physmem file,
 *       faults, syscalls, fork/exec/exit, and the fix_range flush to host ops.
 *   <li>{@code mode}: tt, skas3 and skas0 drivers; the skas0 stub pages are bytes in host
 *       memory, and the stub and its SIGSEGV handler read and write them through the MMU.
 *   <li>{@code cost}: the ledger; {@code sim}: workloads and {@code UmlSimulation}.
 *   <li>{@code smp}: the SMP skas hazards of seed 003 (faultinfo, stub breakout, flush, filehandle
 *       reclaim) run under explored schedules; {@code filehandle}: UML's filehandle layer.
 * </ul>
 */
package org.kexecsim.uml;
