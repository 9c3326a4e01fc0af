// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock: the guest's clock as KVM gives it, through a
 * struct pvclock_vcpu_time_info per vCPU (MSR_KVM_SYSTEM_TIME(_NEW)) and
 * a struct pvclock_wall_clock (MSR_KVM_WALL_CLOCK(_NEW)), and
 * KVM_GET/SET_CLOCK, KVM_KVMCLOCK_CTRL.
 *
 * Every VM has a master clock: one (host TSC, host boot-time ns) pair.
 * Each vCPU's pvclock structure says "at guest TSC master_tsc + offset
 * the clock was master_ns + kvmclock_offset", so with synchronised TSCs
 * all vCPUs read one clock. When the host's own clock is the TSC (and
 * all vCPUs share one TSC offset) the structures carry
 * PVCLOCK_TSC_STABLE_BIT and the guest need not keep its clock monotonic
 * across vCPUs itself; otherwise each update takes a fresh pair on the
 * host CPU the vCPU runs on, and a vCPU that moves gets a new one.
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/pvclock_gtod.h>
#include <linux/slab.h>
#include <linux/timekeeper_internal.h>
#include <asm/tsc.h>

#include "para.h"

/* KVM_CLOCK_* flags of KVM_GET/SET_CLOCK (KVM_CAP_ADJUST_CLOCK). */
#define PARA_CLOCK_VALID_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
				 KVM_CLOCK_HOST_TSC)

/* The host's timekeeping reads the TSC (kept by the notifier). */
static bool host_clock_tsc;

static int para_gtod_notify(struct notifier_block *nb, unsigned long was_set,
			    void *priv)
{
	struct timekeeper *tk = priv;

	WRITE_ONCE(host_clock_tsc, tk->tkr_mono.clock->vdso_clock_mode ==
				   VDSO_CLOCKMODE_TSC);
	return 0;
}

static struct notifier_block para_gtod_nb = {
	.notifier_call = para_gtod_notify,
};

int para_clock_register(void)
{
	return pvclock_gtod_register_notifier(&para_gtod_nb);
}

void para_clock_unregister(void)
{
	pvclock_gtod_unregister_notifier(&para_gtod_nb);
}

/* Host TSCs are synchronised and the host's clock runs on them. */
bool para_host_tsc_clock(void)
{
	return READ_ONCE(host_clock_tsc) && !check_tsc_unstable();
}

static void host_tsc_scale(struct kvmod_pvclock_scale *s)
{
	if (!kvmod_pvclock_scale_for((u64)tsc_khz * 1000, s)) {
		s->mul = 0;
		s->shift = 0;
	}
}

/* Take a new master (TSC, ns) pair; @pv->lock held. */
static void master_clock_take(struct para_vm *pv)
{
	unsigned long flags;

	local_irq_save(flags);
	pv->master_tsc = rdtsc();
	pv->master_ns = ktime_get_boottime_ns();
	local_irq_restore(flags);
}

/**
 * para_vm_init() - the VM's kvmclock state, made on first use
 * @vm: the VM
 *
 * Its clock starts at 0.
 *
 * Return: 0 or -ENOMEM.
 */
int para_vm_init(struct kvmod_vm *vm)
{
	struct para_vm *pv;

	if (READ_ONCE(vm->para_data))
		return 0;
	pv = kzalloc(sizeof(*pv), GFP_KERNEL_ACCOUNT);
	if (!pv)
		return -ENOMEM;
	mutex_init(&pv->lock);
	master_clock_take(pv);
	pv->kvmclock_offset = -pv->master_ns;
	/* Made by a racing caller already: keep that one. */
	if (cmpxchg(&vm->para_data, NULL, pv))
		kfree(pv);
	return 0;
}

/* The master clock's pairs stand for the VM's clock now. */
static bool vm_clock_stable(struct kvmod_vm *vm)
{
	return para_host_tsc_clock() && kvmod_tsc_all_matched(vm) &&
	       !to_para_vm(vm)->boot_vcpu_old_kvmclock;
}

/* kvmclock ns at host TSC @host_tsc, from the master clock. */
static u64 master_clock_read(struct para_vm *pv, u64 host_tsc)
{
	struct kvmod_pvclock_time t = {
		.tsc_timestamp = pv->master_tsc,
		.system_time = pv->master_ns + pv->kvmclock_offset,
	};

	host_tsc_scale(&t.scale);
	return kvmod_pvclock_read(&t, host_tsc);
}

/**
 * para_get_clock() - KVM_GET_CLOCK
 * @vm: the VM
 * @data: filled in
 *
 * With a stable master clock the clock is the guests' own (the master
 * clock read at the host TSC now), paired with the host's real time and
 * TSC; otherwise the host's boot-time clock plus the VM's offset.
 *
 * Return: 0 or -ENOMEM.
 */
int para_get_clock(struct kvmod_vm *vm, struct kvm_clock_data *data)
{
	struct system_time_snapshot snap;
	struct para_vm *pv;
	int r = para_vm_init(vm);

	if (r)
		return r;
	pv = to_para_vm(vm);
	memset(data, 0, sizeof(*data));
	mutex_lock(&pv->lock);
	if (vm_clock_stable(vm)) {
		/* The host's clock reads the TSC: a TSC value with its time. */
		ktime_get_snapshot(&snap);
		data->host_tsc = snap.cycles;
		data->realtime = ktime_to_ns(snap.real);
		data->flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
			      KVM_CLOCK_HOST_TSC;
		data->clock = master_clock_read(pv, data->host_tsc);
	} else {
		data->clock = ktime_get_boottime_ns() + pv->kvmclock_offset;
	}
	mutex_unlock(&pv->lock);
	return 0;
}

/**
 * para_set_clock() - KVM_SET_CLOCK
 * @vm: the VM
 * @data: the clock; with KVM_CLOCK_REALTIME, advanced by the real time
 *	passed since data->realtime (never stepped back)
 *
 * Every vCPU's kvmclock is refreshed before its next entry.
 *
 * Return: 0, -EINVAL for unknown flags, -ENOMEM.
 */
int para_set_clock(struct kvmod_vm *vm, const struct kvm_clock_data *data)
{
	struct para_vm *pv;
	u64 clock = data->clock;
	int r;

	if (data->flags & ~PARA_CLOCK_VALID_FLAGS)
		return -EINVAL;
	r = para_vm_init(vm);
	if (r)
		return r;
	pv = to_para_vm(vm);
	mutex_lock(&pv->lock);
	master_clock_take(pv);
	if (data->flags & KVM_CLOCK_REALTIME) {
		u64 now = ktime_get_real_ns();

		if (now > data->realtime)
			clock += now - data->realtime;
	}
	pv->kvmclock_offset = clock - pv->master_ns;
	mutex_unlock(&pv->lock);
	kvmod_clock_update_all(vm);
	return 0;
}

/**
 * para_kvmclock_ctrl() - KVM_KVMCLOCK_CTRL: the guest was stopped
 * @vcpu: the vCPU
 *
 * PVCLOCK_GUEST_STOPPED is set in its pvclock structure at the next
 * entry, so the guest's watchdogs forgive the pause.
 *
 * Return: 0, or -EINVAL when the guest has no kvmclock.
 */
int para_kvmclock_ctrl(struct kvmod_vcpu *vcpu)
{
	struct para_vcpu *p = to_para_vcpu(vcpu);

	if (!(p->system_time_msr & KVM_MSR_ENABLED))
		return -EINVAL;
	p->stop_request = true;
	kvmod_make_request(vcpu, KVMOD_REQ_CLOCK_UPDATE);
	return 0;
}

/*
 * Write @info to the guest at @gpa with the version protocol: the
 * version goes odd, the data is written, the version goes even. The
 * guest's PVCLOCK_GUEST_STOPPED stays until the guest clears it.
 */
static void pvclock_publish(struct kvmod_vcpu *vcpu, u64 gpa,
			    struct pvclock_vcpu_time_info *info)
{
	struct pvclock_vcpu_time_info old;
	struct kvmod_vm *vm = vcpu->vm;
	u32 version;

	if (kvmod_read_guest_phys(vm, gpa, &old, sizeof(old)))
		return;
	version = (old.version + 1) | 1;
	info->flags |= old.flags & PVCLOCK_GUEST_STOPPED;
	info->version = version;
	if (kvmod_write_guest_phys(vm, gpa, &info->version,
				   sizeof(info->version)))
		return;
	/* The guest sees the odd version before the data changes. */
	smp_wmb();
	if (kvmod_write_guest_phys(vm, gpa, info, sizeof(*info)))
		return;
	/* ...and all of the data before the even version. */
	smp_wmb();
	info->version = version + 1;
	kvmod_write_guest_phys(vm, gpa, &info->version, sizeof(info->version));
}

/**
 * para_clock_update() - refresh a vCPU's pvclock structure
 * @vcpu: the vCPU, before an entry (KVMOD_REQ_CLOCK_UPDATE)
 */
void para_clock_update(struct kvmod_vcpu *vcpu)
{
	struct para_vcpu *p = to_para_vcpu(vcpu);
	struct para_vm *pv = to_para_vm(vcpu->vm);
	struct pvclock_vcpu_time_info info = {};
	struct kvmod_pvclock_scale scale;
	unsigned long flags;
	bool stable;
	u64 host_tsc;
	s64 ns;

	vcpu->clock_cpu = raw_smp_processor_id();
	para_steal_update(vcpu);
	if (!(p->system_time_msr & KVM_MSR_ENABLED))
		return;
	mutex_lock(&pv->lock);
	stable = vm_clock_stable(vcpu->vm);
	if (stable) {
		host_tsc = pv->master_tsc;
		ns = pv->master_ns;
	} else {
		local_irq_save(flags);
		host_tsc = rdtsc();
		ns = ktime_get_boottime_ns();
		vcpu->clock_cpu = smp_processor_id();
		local_irq_restore(flags);
	}
	ns += pv->kvmclock_offset;
	/* The others' flags change with this one's: they update too. */
	if (stable != pv->stable) {
		pv->stable = stable;
		mutex_unlock(&pv->lock);
		kvmod_clock_update_all(vcpu->vm);
	} else {
		mutex_unlock(&pv->lock);
	}
	/* A vCPU with its own host pair follows it to other host CPUs. */
	vcpu->clock_tracked = !stable;

	host_tsc_scale(&scale);
	info.tsc_timestamp = kvmod_guest_tsc(vcpu, host_tsc);
	info.system_time = ns;
	info.tsc_to_system_mul = scale.mul;
	info.tsc_shift = scale.shift;
	if (stable)
		info.flags |= PVCLOCK_TSC_STABLE_BIT;
	if (p->stop_request) {
		info.flags |= PVCLOCK_GUEST_STOPPED;
		p->stop_request = false;
	}
	pvclock_publish(vcpu, p->system_time_msr & ~KVM_MSR_ENABLED, &info);
}

/*
 * The host's real time when the VM's kvmclock was 0, into the guest. As
 * KVM, an address of 0 publishes nothing (the MSR only keeps it), and
 * neither does one outside the memslots.
 */
static void wall_clock_publish(struct kvmod_vm *vm, u64 gpa)
{
	struct pvclock_wall_clock wc = {};
	struct kvm_clock_data now;
	u32 version = 0;
	u64 boot;
	u32 rem;

	if (!gpa || para_get_clock(vm, &now))
		return;
	boot = ktime_get_real_ns() - now.clock;
	boot = div_u64_rem(boot, NSEC_PER_SEC, &rem);
	wc.sec = (u32)boot;
	wc.nsec = rem;
	if (kvmod_read_guest_phys(vm, gpa, &version, sizeof(version)))
		return;
	/* Odd: a first write over whatever was there. */
	version = (version + 1) | 1;
	if (kvmod_write_guest_phys(vm, gpa, &version, sizeof(version)))
		return;
	/* The guest sees the odd version before the time changes... */
	smp_wmb();
	wc.version = version + 1;
	kvmod_write_guest_phys(vm, gpa + sizeof(version), &wc.sec,
			       sizeof(wc) - sizeof(version));
	/* ...and the new time before the even version. */
	smp_wmb();
	kvmod_write_guest_phys(vm, gpa, &wc.version, sizeof(version));
}

/**
 * para_kvmclock_get_msr() - the kvmclock MSRs
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value last written
 *
 * Return: 0, or -ENOENT for other MSRs.
 */
int para_kvmclock_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*val = to_para_vcpu(vcpu)->system_time_msr;
		return 0;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*val = to_para_vm(vcpu->vm)->wall_clock_msr;
		return 0;
	default:
		return -ENOENT;
	}
}

/**
 * para_kvmclock_set_msr() - write a kvmclock MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: a guest-physical address; for the system time, bit 0 enables
 * @host: written by userspace (KVM_SET_MSRS)
 *
 * Return: 0, or -ENOENT for other MSRs.
 */
int para_kvmclock_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val,
			  bool host)
{
	struct para_vm *pv = to_para_vm(vcpu->vm);

	switch (msr) {
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		if (vcpu->id == 0 && !host) {
			mutex_lock(&pv->lock);
			pv->boot_vcpu_old_kvmclock = msr == MSR_KVM_SYSTEM_TIME;
			mutex_unlock(&pv->lock);
		}
		to_para_vcpu(vcpu)->system_time_msr = val;
		vcpu->clock_tracked = false;
		kvmod_make_request(vcpu, KVMOD_REQ_CLOCK_UPDATE);
		return 0;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		pv->wall_clock_msr = val;
		wall_clock_publish(vcpu->vm, val);
		return 0;
	default:
		return -ENOENT;
	}
}
