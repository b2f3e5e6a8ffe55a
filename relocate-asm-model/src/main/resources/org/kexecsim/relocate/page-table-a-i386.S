# relocate_new_kernel for the 2006 page_table_a design, i386 and i386-PAE.
#
# machine_kexec calls this at its kernel-text VA with the crashed kernel's CR3, GDT and IDT
# live. page_table_a maps the control page (holding a copy of these bytes) at that VA and at
# its physical address. After the CR3 load we load our own flat GDT and a zero-limit IDT,
# iret to the identity alias, turn paging off (and PAE), copy the pages and enter the new
# kernel in protected mode with paging off.
#
# In (cdecl): 4(%esp) list head, 8 control page PA, 12 entry point, 16 page_table_a PA,
#             20 has_pae
	.code32
	.text
relocate_new_kernel:
	.include	"table-args-i386.S"
	movl	%eax, %cr3		# page_table_a: this page stays mapped at this VA

	leal	(idt_desc - relocate_new_kernel)(%edi), %eax
	lidt	(%eax)			# limit 0
	leal	(gdt - relocate_new_kernel)(%edi), %eax
	movl	%eax, (gdt_desc - relocate_new_kernel + 2)(%edi)
	leal	(gdt_desc - relocate_new_kernel)(%edi), %eax
	lgdt	(%eax)
	movl	$(gdt_data - gdt), %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leal	4096(%edi), %esp

	# iretl at the same privilege pops EIP, CS, EFLAGS.
	pushl	$0
	pushl	$(gdt_code - gdt)
	leal	(identity_mapped - relocate_new_kernel)(%edi), %eax
	pushl	%eax
	iretl

identity_mapped:
	jmp	paging_off_copy_and_enter

	.align	16
gdt:
	.quad	0
gdt_code:
	.quad	0x00cf9a000000ffff	# __KERNEL_CS: flat 32-bit code
gdt_data:
	.quad	0x00cf92000000ffff	# __KERNEL_DS: flat data
gdt_end:
	.align	4
idt_desc:
	.word	0
	.long	0
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	0			# base, filled in above
