/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmod's own tracepoints (kvmod:*), beside the KVM-compatible kvm:* ones:
 * exits to userspace and the return, page faults, injected exceptions,
 * hypercalls, MSR accesses, CPUID.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvmod

#if !defined(KVMOD_TRACE_KVMOD_H) || defined(TRACE_HEADER_MULTI_READ)
#define KVMOD_TRACE_KVMOD_H

#include <linux/tracepoint.h>

TRACE_EVENT(kvmod_userspace_exit,
	TP_PROTO(unsigned int vcpu_id, u32 exit_reason, int ret),
	TP_ARGS(vcpu_id, exit_reason, ret),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u32, exit_reason)
		__field(int, ret)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->exit_reason = exit_reason;
		__entry->ret = ret;
	),

	TP_printk("vcpu %u reason %u ret %d", __entry->vcpu_id,
		  __entry->exit_reason, __entry->ret)
);

TRACE_EVENT(kvmod_userspace_entry,
	TP_PROTO(unsigned int vcpu_id),
	TP_ARGS(vcpu_id),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
	),

	TP_printk("vcpu %u", __entry->vcpu_id)
);

TRACE_EVENT(kvmod_pio,
	TP_PROTO(unsigned int vcpu_id, u16 port, u8 size, u32 count, bool in),
	TP_ARGS(vcpu_id, port, size, count, in),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u16, port)
		__field(u8, size)
		__field(u32, count)
		__field(bool, in)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->port = port;
		__entry->size = size;
		__entry->count = count;
		__entry->in = in;
	),

	TP_printk("vcpu %u %s port 0x%x size %u count %u", __entry->vcpu_id,
		  __entry->in ? "in" : "out", __entry->port, __entry->size,
		  __entry->count)
);

TRACE_EVENT(kvmod_page_fault,
	TP_PROTO(unsigned int vcpu_id, u64 gpa, u64 error_code, int result),
	TP_ARGS(vcpu_id, gpa, error_code, result),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u64, gpa)
		__field(u64, error_code)
		__field(int, result)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->gpa = gpa;
		__entry->error_code = error_code;
		__entry->result = result;
	),

	TP_printk("vcpu %u gpa 0x%llx error 0x%llx result %d",
		  __entry->vcpu_id, __entry->gpa, __entry->error_code,
		  __entry->result)
);

TRACE_EVENT(kvmod_inj_exception,
	TP_PROTO(unsigned int vcpu_id, u8 vector, bool has_error,
		 u32 error_code),
	TP_ARGS(vcpu_id, vector, has_error, error_code),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u8, vector)
		__field(bool, has_error)
		__field(u32, error_code)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->vector = vector;
		__entry->has_error = has_error;
		__entry->error_code = error_code;
	),

	TP_printk("vcpu %u vector %u%s error 0x%x", __entry->vcpu_id,
		  __entry->vector, __entry->has_error ? "" : " (no)",
		  __entry->error_code)
);

TRACE_EVENT(kvmod_inj_irq,
	TP_PROTO(unsigned int vcpu_id, u8 vector),
	TP_ARGS(vcpu_id, vector),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u8, vector)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->vector = vector;
	),

	TP_printk("vcpu %u vector %u", __entry->vcpu_id, __entry->vector)
);

TRACE_EVENT(kvmod_inj_nmi,
	TP_PROTO(unsigned int vcpu_id),
	TP_ARGS(vcpu_id),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
	),

	TP_printk("vcpu %u", __entry->vcpu_id)
);

TRACE_EVENT(kvmod_halt,
	TP_PROTO(unsigned int vcpu_id, bool start),
	TP_ARGS(vcpu_id, start),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(bool, start)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->start = start;
	),

	TP_printk("vcpu %u %s", __entry->vcpu_id,
		  __entry->start ? "blocks" : "wakes")
);

TRACE_EVENT(kvmod_hypercall,
	TP_PROTO(unsigned int vcpu_id, u64 nr, u64 a0, u64 a1, u64 a2, u64 a3),
	TP_ARGS(vcpu_id, nr, a0, a1, a2, a3),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u64, nr)
		__field(u64, a0)
		__field(u64, a1)
		__field(u64, a2)
		__field(u64, a3)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->nr = nr;
		__entry->a0 = a0;
		__entry->a1 = a1;
		__entry->a2 = a2;
		__entry->a3 = a3;
	),

	TP_printk("vcpu %u nr 0x%llx a0 0x%llx a1 0x%llx a2 0x%llx a3 0x%llx",
		  __entry->vcpu_id, __entry->nr, __entry->a0, __entry->a1,
		  __entry->a2, __entry->a3)
);

TRACE_EVENT(kvmod_msr,
	TP_PROTO(unsigned int vcpu_id, u32 msr, u64 data, bool write,
		 bool fault),
	TP_ARGS(vcpu_id, msr, data, write, fault),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u32, msr)
		__field(u64, data)
		__field(bool, write)
		__field(bool, fault)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->msr = msr;
		__entry->data = data;
		__entry->write = write;
		__entry->fault = fault;
	),

	TP_printk("vcpu %u %s msr 0x%x data 0x%llx%s", __entry->vcpu_id,
		  __entry->write ? "wrmsr" : "rdmsr", __entry->msr,
		  __entry->data, __entry->fault ? " (#GP)" : "")
);

TRACE_EVENT(kvmod_cpuid,
	TP_PROTO(unsigned int vcpu_id, u32 leaf, u32 subleaf, u32 eax, u32 ebx,
		 u32 ecx, u32 edx),
	TP_ARGS(vcpu_id, leaf, subleaf, eax, ebx, ecx, edx),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u32, leaf)
		__field(u32, subleaf)
		__field(u32, eax)
		__field(u32, ebx)
		__field(u32, ecx)
		__field(u32, edx)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->leaf = leaf;
		__entry->subleaf = subleaf;
		__entry->eax = eax;
		__entry->ebx = ebx;
		__entry->ecx = ecx;
		__entry->edx = edx;
	),

	TP_printk("vcpu %u leaf 0x%x.%x -> %08x %08x %08x %08x",
		  __entry->vcpu_id, __entry->leaf, __entry->subleaf,
		  __entry->eax, __entry->ebx, __entry->ecx, __entry->edx)
);

#endif /* KVMOD_TRACE_KVMOD_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace_kvmod
#include <trace/define_trace.h>
