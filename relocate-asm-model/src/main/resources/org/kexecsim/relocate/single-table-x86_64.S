# relocate_new_kernel for the single-table design proposed in the 2006 review, x86_64: one
# identity map of all RAM that also maps the control page at the kernel VA this code starts
# from. After the CR3 load the next fetch is still mapped; we drop the IDT (its base is a
# kernel VA the new table does not map), jump to the identity alias, copy and enter.
#
# In: %rdi list head, %rsi control page PA, %rdx entry point, %rcx the table
	.code64
	.text
relocate_new_kernel:
	pushq	$0			# IF=0
	popfq
	movq	%rcx, %cr3		# identity map + this page at this VA
	leaq	(idt_desc - relocate_new_kernel)(%rsi), %rax
	lidt	(%rax)			# limit 0: any exception now ends in a triple fault
	leaq	4096(%rsi), %rsp
	leaq	(identity_mapped - relocate_new_kernel)(%rsi), %rax
	jmp	*%rax
identity_mapped:
	movq	%rdi, %rbx
	jmp	copy_and_enter

	.align	4
idt_desc:
	.word	0
	.quad	0
