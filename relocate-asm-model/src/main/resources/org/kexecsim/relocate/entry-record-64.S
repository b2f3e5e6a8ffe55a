# The state record of the new kernel's 64-bit entry programs (entry-64.S, entry-jump-64.S),
# all but the stack pointer and the magic, which each stores its own way: %rdi points at the
# record; uses rax, rcx, rdx. +4 width (64), +8 CR0, +16 CR3, +24 CR4, +32 EFER, +40 CS.
	movl	$64, 4(%rdi)
	movq	%cr0, %rax
	movq	%rax, 8(%rdi)
	movq	%cr3, %rax
	movq	%rax, 16(%rdi)
	movq	%cr4, %rax
	movq	%rax, 24(%rdi)
	movl	$0xc0000080, %ecx
	rdmsr
	movl	%eax, 32(%rdi)
	movl	%edx, 36(%rdi)
	movl	%cs, %eax
	movq	%rax, 40(%rdi)
