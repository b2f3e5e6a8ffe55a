/**
 * Analyses of memory dumps, as a library: what the {@code kexec-sim} analysis commands run, usable
 * from any JVM program with the kexec-core and kdump-analyzer jars on its class path.
 *
 * <p>Entry points, each a static method over a {@link org.kexecsim.dump.Dump}'s physical memory:
 *
 * <ul>
 *   <li>open a dump: {@link org.kexecsim.dump.DumpFiles#open} (ELF core, kdump-compressed,
 *       flattened, split, raw), closed with try-with-resources;
 *   <li>find the page tables: {@link org.kexecsim.analyzer.RootTableFinder#find} (CPU note CR3,
 *       else VMCOREINFO) or {@link org.kexecsim.analyzer.RootTableFinder#kernelRoot};
 *   <li>translate: {@link org.kexecsim.analyzer.vtop.Vtop#translate}; read kernel memory by
 *       virtual address: {@link org.kexecsim.analyzer.KernelVirtualMemory};
 *   <li>list mappings: {@link org.kexecsim.analyzer.ptdump.PtDump#dump};
 *   <li>verify page tables: {@link org.kexecsim.analyzer.verify.PgdVerifier#verify} (before and
 *       after) and {@link org.kexecsim.analyzer.verify.PgdVerifier#inspect} (one image);
 *   <li>diff: {@link org.kexecsim.analyzer.diff.ImageDiff#diff};
 *   <li>checksum: {@link org.kexecsim.analyzer.checksum.ImageChecksum#compute} and {@code verify};
 *   <li>the crashed kernel's log: {@link org.kexecsim.analyzer.dmesg.KernelLog#of}, rendered by
 *       {@link org.kexecsim.analyzer.dmesg.MakedumpfileText}.
 * </ul>
 *
 * <p>Results are records with {@code toText()} and {@code toJson()} (the CLI's output). Bad input
 * (a corrupt dump, an unmapped kernel address) is an exception implementing {@link
 * org.kexecsim.input.RejectedInput} whose message is one line naming what and where; the CLI maps
 * it to exit code 3. The README's "Java API" section has a complete program, compiled and run by
 * ReadmeApiExampleTest.
 */
package org.kexecsim.analyzer;
