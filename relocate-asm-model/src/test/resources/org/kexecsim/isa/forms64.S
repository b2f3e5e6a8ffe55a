# Every instruction form the assembler supports in 64-bit code; GasOracleTest assembles this
# with GNU as and with ours and requires identical bytes.
.code64
start:
	mov %rax,%rbx
	mov %eax,%ebx
	mov %r8,%r15
	mov %r9d,%eax
	mov (%rax),%rcx
	mov 8(%rsp),%rdx
	mov -8(%rbp),%rsi
	mov 0x1000(%rsi),%rdi
	mov 0x10(%rax,%rbx,4),%r10
	mov (%r12),%r11
	mov (%r13),%eax
	mov 0x12(,%rcx,8),%eax
	mov 0x12345,%eax
	mov %rax,(%rdi)
	mov %r9,-0x80(%r8,%r9,2)
	mov $0x12345678,%eax
	mov $-1,%rax
	mov $5,%r8
	mov $0x80000000,%rax
	movabs $0x1122334455667788,%rax
	movabs $5,%r11
	movl $7,(%rax)
	movq $-2,16(%rsp)
	mov fwd(%rip),%rax
	lea fwd(%rip),%rsi
	mov 0x10(%rip),%eax
	mov %rax,%cr0
	mov %rax,%cr3
	mov %rax,%cr4
	mov %r9,%cr3
	mov %r13,%cr4
	mov %cr0,%rax
	mov %cr2,%rbx
	mov %cr3,%rax
	mov %cr4,%r12
	push %rax
	push %r8
	pop %rdx
	pop %r15
	pushq $0
	push $0x12345
	push $-100
	pushq $0x7f
	pushf
	pushfq
	popf
	popfq
	lea 0x1000(%rsi),%rsp
	lea 0x1000(%r8),%rsp
	lea 0x10(%rsi),%rsp
	lea (%rax,%rbx,8),%ecx
	add %rax,%rbx
	add (%rax),%rcx
	add %rcx,(%rax)
	add $0x100,%r8
	add $8,%rbx
	add $10,%rsp
	add $0x12345,%eax
	add $1,%eax
	addl $1,(%rax)
	addq $0x1000,8(%rbx)
	sub $0x1000,%rsp
	sub %r8,%r9
	and $~0x1000,%rax
	and $0xfff,%ecx
	or $0x80000001,%eax
	or $1,%eax
	or $0xffffffff,%eax
	xor %eax,%eax
	xor %rax,%rax
	xor %r8d,%r8d
	cmp $0,%rax
	cmp %rdx,%rcx
	cmpq $5,(%rdi)
	test %rax,%rax
	test $1,%eax
	test $0x100,%ebx
	test $1,%rcx
	test %ecx,(%rax)
	inc %eax
	inc %r8
	dec %rcx
	incl (%rax)
	decq 8(%rax)
	shl $12,%rax
	shl $1,%eax
	shl %rdx
	shr $3,%rax
	shr %ecx
	shrq $2,(%rax)
	jmp *%rax
	jmp *%r8
	call *%rdx
	jmp *(%rax)
	call *8(%rbx)
	ret
	lret
	lretq
	iret
	iretq
	ljmp *(%rax)
	lgdt (%rsp)
	lidt (%rsp)
	lgdt (%rax)
	lidtq (%rax)
	lgdt gdt_ptr(%rip)
	mov %eax,%ds
	mov %eax,%es
	mov %eax,%ss
	mov %eax,%fs
	mov %eax,%gs
	movl %eax,%ds
	movq %rax,%ss
	mov %ds,%eax
	movq %ds,%rax
	mov (%rax),%ds
	mov %es,(%rax)
	cld
	std
	rep movsq
	rep movsl
	rep movsb
	movsq
	rep stosq
	rep stosl
	rep stosb
	stosb
	rdmsr
	wrmsr
	wbinvd
	hlt
	int3
	nop
	ud2
	jz 1f
	jnz 1f
	jb 1f
	jae start
	jmp 1f
	call 1f
1:	jmp 2f
	.fill 200,1,0x90
2:	jne 1b
	jl 2b
	jg far
	.fill 300,1,0xcc
far:	jmp start
	mov $(far - start),%ecx
	add $(fwd - start),%eax
	mov (fwd-start)(%rax),%eax
	.align 16
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad 0
	.align 8
gdt:	.quad 0x0020980000000000, 0x00cf92000000ffff
gdt_end:
	.byte 1, 2, 0xff, -1
	.word 0xabcd
	.long 0x12345678, -5
	.set SIZE, 4096
	.equ SHIFT, 12
	mov $SIZE,%ecx
	add $(SIZE >> SHIFT),%rax
	mov $(1 << 20 | 3 & 0xff),%eax
	.align 32
fwd:	nop
	.p2align 4
	.long 0
# label differences: constant when both labels are already defined in the current frag
fa:	nop
fb:	nop
	add $(fb-fa),%eax
	mov (fb-fa)(%rax),%ecx
	jmp fc
fc:	nop
	add $(fc-fa),%eax
	add $(fc-fb),%eax
	.set FK, fb-fa
	add $FK,%eax
	call fd
fd:	add $(fd-fc),%eax
	.align 4
fe:	add $(fe-fd),%eax
	add $(. - fe),%eax
	push $(fe - fd)
	push $(. - fe)
# spellings GNU as accepts for the same forms
	sal $3,%rax
	salq (%rax)
	jmpq *%rax
	callq *(%rbx)
	retq
	lretl
	iretl
	lgdtq (%rax)
	lidtq (%rsp)
	movabsq $0x123456789,%rdx
	leaq 8(%rax),%rbx
	leal 8(%rax),%ebx
	testq $0x10,%rbx
	testl $0x10,(%rax)
	pushq %rbx
	popq %rbx
	pushq $0x1000
	repz movsb
	repe stosq
	jc 3f
	jnae 3f
	jnc 3f
	jpe 3f
	jpo 3f
	jnge 3f
	jnl 3f
	jng 3f
	jnle 3f
	jo 3f
	jno 3f
	js 3f
	jns 3f
	jp 3f
	jnp 3f
	jna 3f
	jnbe 3f
3:	.short 1, 2
	.int 3
	.balign 8
	.balign 4, 0xcc
	.quad 3b - fa
