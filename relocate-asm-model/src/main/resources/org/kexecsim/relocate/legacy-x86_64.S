# relocate_new_kernel before 2006, x86_64: machine_kexec copied the lower half of an identity
# table over the live PML4 (the crashed kernel's own, the bug), zapped the GDT and IDT after
# loading the segments, and called this code at its physical address. We switch to the
# identity table, move the stack to the control page, copy the pages and enter the new kernel.
#
# In: %rdi list head, %rsi control page PA, %rdx entry point, %rcx identity table PA
	.code64
	.text
relocate_new_kernel:
	pushq	$0			# IF=0
	popfq
	movq	%rcx, %cr3		# maps this page at its PA too
	leaq	4096(%rsi), %rsp
	movq	%rdi, %rbx
	jmp	copy_and_enter
