# relocate_new_kernel for the single-table design, i386 and PAE: one table that identity maps
# low RAM and also maps the control page at the kernel VA this code starts from. On i386 the
# two can collide (a kernel VA of 0xc0000000+ is also a physical address of RAM above 3 GiB);
# the design reports that conflict before we get here. We load the table, drop the IDT, jump
# to the identity alias, turn paging off, copy and enter.
#
# In (cdecl): 4(%esp) list head, 8 control page PA, 12 entry point, 16 table PA, 20 has_pae
	.code32
	.text
relocate_new_kernel:
	.include	"table-args-i386.S"
	movl	%eax, %cr3
	leal	(idt_desc - relocate_new_kernel)(%edi), %eax
	lidt	(%eax)
	leal	4096(%edi), %esp
	leal	(identity_mapped - relocate_new_kernel)(%edi), %eax
	jmp	*%eax
identity_mapped:
	jmp	paging_off_copy_and_enter

	.align	4
idt_desc:
	.word	0
	.long	0
