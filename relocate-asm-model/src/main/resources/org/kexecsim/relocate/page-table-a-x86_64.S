# relocate_new_kernel for the 2006 page_table_a design, x86_64.
#
# machine_kexec calls this at its kernel-text VA with the crashed kernel's CR3, GDT and IDT
# live. page_table_a maps the control page (which holds a copy of these bytes) at that same VA
# and at its physical address, so the fetch after the CR3 load finds the same code. We then
# load a GDT and a zero-limit IDT of our own from the control page, iretq to the identity
# alias, switch to page_table_b (an identity map of all RAM), copy the pages and enter the new
# kernel.
#
# In: %rdi list head, %rsi control page PA, %rdx entry point, %rcx page_table_a, %r8 page_table_b
	.code64
	.text
relocate_new_kernel:
	pushq	$0			# IF=0 and a known RFLAGS
	popfq
	movq	%rcx, %cr3		# page_table_a: this page stays mapped at this VA

	leaq	(idt_desc - relocate_new_kernel)(%rsi), %rax
	lidt	(%rax)			# limit 0: any exception now ends in a triple fault
	leaq	(gdt - relocate_new_kernel)(%rsi), %rax
	movq	%rax, (gdt_desc - relocate_new_kernel + 2)(%rsi)
	leaq	(gdt_desc - relocate_new_kernel)(%rsi), %rax
	lgdt	(%rax)
	xorl	%eax, %eax		# null data selectors are usable in 64-bit mode
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	4096(%rsi), %rsp	# stack at the top of the control page

	# iretq frame: SS, RSP, RFLAGS, CS, RIP; CS comes from our GDT.
	movq	%rsp, %rax
	pushq	$0
	pushq	%rax
	pushq	$0
	pushq	$(gdt_code64 - gdt)
	leaq	(identity_mapped - relocate_new_kernel)(%rsi), %rax
	pushq	%rax
	iretq

identity_mapped:
	movq	%r8, %cr3		# page_table_b: the identity map of all RAM
	movq	%rdi, %rbx
	jmp	copy_and_enter

	.align	16
gdt:
	.quad	0
gdt_code64:
	.quad	0x00af9a000000ffff	# __KERNEL_CS: 64-bit code, DPL 0
gdt_end:
	.align	4
idt_desc:
	.word	0
	.quad	0
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	0			# base, filled in above
