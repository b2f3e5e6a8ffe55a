/**
 * Kernel symbols for dump analyses: a System.map, a /proc/kallsyms copy, or an ELF symbol table
 * (vmlinux, a .o), plus the SYMBOL() lines of VMCOREINFO, relocated by the KASLR offset the
 * crashed kernel recorded ({@link org.kexecsim.analyzer.symbols.KernelSymbols}); address
 * expressions such as {@code init_top_pgt+0x800} ({@link
 * org.kexecsim.analyzer.symbols.AddressExpression}); and the {@code sym+0xoff} names reports
 * print ({@link org.kexecsim.analyzer.symbols.AddressNames}).
 */
package org.kexecsim.analyzer.symbols;
