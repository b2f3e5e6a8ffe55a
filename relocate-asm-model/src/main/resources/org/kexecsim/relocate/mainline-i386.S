# relocate_kernel as mainline i386 does it today (arch/x86/kernel/relocate_kernel_32.S,
# machine_kexec_32.c): machine_kexec loads flat segments, zaps the IDT and GDT, and calls
# this at its kernel-text VA. The transition pgd maps the control page at that VA and at its
# PA; we load it, move the stack to the control page, return into the identity alias, turn
# paging off, copy and enter.
#
# In (cdecl): 4(%esp) list head, 8 control page PA, 12 entry point, 16 pgd PA, 20 has_pae
	.code32
	.text
relocate_new_kernel:
	movl	4(%esp), %ebx
	movl	8(%esp), %edi
	movl	12(%esp), %edx
	movl	20(%esp), %ecx
	movl	16(%esp), %eax
	pushl	$0			# IF=0
	popfl
	movl	%eax, %cr3
	leal	4096(%edi), %esp
	leal	(identity_mapped - relocate_new_kernel)(%edi), %eax
	pushl	%eax
	ret
identity_mapped:
	jmp	paging_off_copy_and_enter
