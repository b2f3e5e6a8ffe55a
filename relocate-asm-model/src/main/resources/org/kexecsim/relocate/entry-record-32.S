# The state record of the new kernel's 32-bit entry programs (entry-32.S, entry-jump-32.S),
# all but the stack pointer and the magic, which each stores its own way: %edi points at the
# record; uses eax. +4 width this code ran as (32), +8 CR0, +16 CR3, +24 CR4, +40 CS selector.
	movl	$32, 4(%edi)
	movl	%cr0, %eax
	movl	%eax, 8(%edi)
	movl	%cr3, %eax
	movl	%eax, 16(%edi)
	movl	%cr4, %eax
	movl	%eax, 24(%edi)
	movl	%cs, %eax
	movl	%eax, 40(%edi)
