# relocate_new_kernel before 2006, i386: machine_kexec copied this code to the control page
# and poked an identity entry for that page into the live page directory (the crashed
# kernel's own, the bug), zapped the GDT and IDT after loading the segments, and called the
# code at its physical address. With the stack moved to the control page, we turn paging
# off, copy the pages and enter the new kernel.
#
# In (cdecl): 4(%esp) list head, 8 control page PA, 12 entry point, 16 has_pae
	.code32
	.text
relocate_new_kernel:
	movl	4(%esp), %ebx
	movl	8(%esp), %edi
	movl	12(%esp), %edx
	movl	16(%esp), %ecx
	pushl	$0			# IF=0
	popfl
	leal	4096(%edi), %esp	# the control page, through the poked identity entry
	jmp	paging_off_copy_and_enter
