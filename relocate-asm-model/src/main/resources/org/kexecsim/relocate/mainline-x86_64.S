# relocate_kernel as mainline x86_64 does it today (arch/x86/kernel/relocate_kernel_64.S,
# machine_kexec_64.c): machine_kexec calls this at __va(control page), the direct-map alias
# made executable when the image was loaded, with the crashed kernel's CR3 live. The single
# transition table identity maps RAM and maps __va(control page) too. We zap the IDT and GDT
# (the segment caches keep working), load the table, clear CR4.PGE so no global translation
# of the old kernel survives, move to the identity alias, copy and enter.
#
# In: %rdi list head, %rsi control page PA, %rdx entry point, %rcx the table
	.code64
	.text
relocate_new_kernel:
	pushq	$0
	pushq	$0
	lidt	(%rsp)			# limit 0
	lgdt	(%rsp)			# limit 0: loaded segments stay usable until reloaded
	addq	$16, %rsp
	pushq	$0			# IF=0
	popfq
	movq	%rcx, %cr3
	movq	%cr4, %rax
	andq	$-129, %rax		# clear PGE (bit 7)
	movq	%rax, %cr4
	leaq	4096(%rsi), %rsp
	leaq	(identity_mapped - relocate_new_kernel)(%rsi), %rax
	jmp	*%rax
identity_mapped:
	movq	%rdi, %rbx
	jmp	copy_and_enter
