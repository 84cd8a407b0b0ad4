/* host/: the parsers behind the host snapshot (iomem, mountinfo, reservations, storage.cfg)
 * and the rooted sysfs reads; and the timed child process the hook's sysfs writes and
 * modprobe run in (lib/kernelio_timed.c), which reads a child's end the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../host/hostuse.h"
#include "../../host/iomem.h"
#include "../../host/runstate.h"
#include "../../host/sysfs.h"
#include "../../lib/kernelio.h"
#include "../../pve/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void iomem_framebuffer_inside_a_bar(void **state)
{
	(void)state;
	const char *text = "00000000-00000fff : Reserved\n"
			   "c0000000-cfffffff : PCI Bus 0000:01\n"
			   "  c0000000-cfffffff : 0000:01:00.0\n"
			   "    c0000000-c07fffff : BOOTFB\n"
			   "d0000000-d0ffffff : efifb\n";
	struct host_iomem m;
	iomem_parse(text, &m);
	assert_true(m.readable);
	assert_int_equal(m.count, 2);
	assert_string_equal(m.framebuffers[0].name, "BOOTFB");
	assert_int_equal(m.framebuffers[0].line, 4);
	const struct host_framebuffer *fb = host_iomem_framebuffer_in(&m, 0xc0000000, 0x10000000);
	assert_non_null(fb);
	assert_string_equal(fb->name, "BOOTFB");
	/* a BAR next to it but not overlapping */
	assert_null(host_iomem_framebuffer_in(&m, 0xc0800000, 0x800000));
	assert_null(host_iomem_framebuffer_in(&m, 0xc0000000, 0));
	host_iomem_free(&m);
}

static void iomem_unprivileged_shows_zeros(void **state)
{
	(void)state;
	struct host_iomem m;
	iomem_parse("00000000-00000000 : Reserved\n  00000000-00000000 : BOOTFB\n", &m);
	assert_false(m.readable);
	assert_int_equal(m.count, 1);
	host_iomem_free(&m);
	iomem_parse("garbage\n:::\n-\n", &m);
	assert_false(m.readable);
	assert_int_equal(m.count, 0);
	host_iomem_free(&m);
}

static void mountinfo_lines(void **state)
{
	(void)state;
	unsigned major, minor;
	char mp[64], fs[16], src[64];
	assert_int_equal(mountinfo_parse_line("29 1 253:1 / / rw,relatime shared:1 - ext4 "
					      "/dev/mapper/pve-root rw,errors=remount-ro",
					      &major, &minor, mp, sizeof(mp), fs, sizeof(fs), src,
					      sizeof(src)),
			 0);
	assert_int_equal(major, 253);
	assert_int_equal(minor, 1);
	assert_string_equal(mp, "/");
	assert_string_equal(fs, "ext4");
	assert_string_equal(src, "/dev/mapper/pve-root");
	/* no optional fields, an escaped blank */
	assert_int_equal(mountinfo_parse_line("40 29 8:2 / /mnt/my\\040disk rw - xfs /dev/sda2 rw",
					      &major, &minor, mp, sizeof(mp), fs, sizeof(fs), src,
					      sizeof(src)),
			 0);
	assert_string_equal(mp, "/mnt/my disk");
	/* no separator, truncated, too long */
	assert_int_equal(mountinfo_parse_line("40 29 8:2 / /mnt rw xfs /dev/sda2", &major, &minor,
					      mp, sizeof(mp), fs, sizeof(fs), src, sizeof(src)),
			 -EINVAL);
	assert_int_equal(mountinfo_parse_line("40 29 8:2 / /mnt rw -", &major, &minor, mp,
					      sizeof(mp), fs, sizeof(fs), src, sizeof(src)),
			 -EINVAL);
	char tiny[4];
	assert_int_equal(mountinfo_parse_line("40 29 8:2 / /mnt/long rw - xfs /dev/sda2 rw", &major,
					      &minor, tiny, sizeof(tiny), fs, sizeof(fs), src,
					      sizeof(src)),
			 -EINVAL);
}

static void reservations_in_proxmox_format(void **state)
{
	(void)state;
	struct host_runstate s = {0};
	runstate_parse_reservations("0000:01:00.0 100 pid:4242\n"
				    "0000:01:00.1 100 time:1700000000\n"
				    "01:00.0 101 pid:1\n"      /* no domain: Proxmox writes one */
				    "0000:02:00.0 abc pid:1\n" /* skipped */
				    "0000:03:00.0 102 pid:\n"  /* skipped */
				    "0000:04:00.0 103 lease:5\n", /* skipped */
				    &s);
	assert_int_equal(s.reservation_count, 2);
	assert_string_equal(s.reservations[0].address, "0000:01:00.0");
	assert_int_equal(s.reservations[0].vmid, 100);
	assert_true(s.reservations[0].by_pid);
	assert_int_equal(s.reservations[0].value, 4242);
	assert_false(s.reservations[1].by_pid);
	/* liveness is decided by the loader; a parsed one is not live */
	assert_int_equal(host_runstate_holder(&s, "0000:01:00.0", 101, NULL), -1);
	s.reservations[0].live = true;
	const char *how = NULL;
	assert_int_equal(host_runstate_holder(&s, "0000:01:00.0", 101, &how), 100);
	assert_string_equal(how, "reserved");
	/* the VM's own reservation is no conflict */
	assert_int_equal(host_runstate_holder(&s, "0000:01:00.0", 100, NULL), -1);
	host_runstate_free(&s);
}

static void storage_snippets(void **state)
{
	(void)state;
	const char *cfg = "dir: local\n"
			  "\tpath /var/lib/vz\n"
			  "\tcontent iso,vztmpl,backup,snippets\n"
			  "\n"
			  "lvmthin: local-lvm\n"
			  "\tthinpool data\n"
			  "\tvgname pve\n"
			  "\tcontent rootdir,images\n"
			  "\n"
			  "nfs: nas\n"
			  "\texport /export\n"
			  "\tserver 192.0.2.1\n"
			  "\tcontent snippets\n";
	struct text_file text;
	struct pcipt_error err;
	assert_int_equal(text_file_from_buffer(cfg, strlen(cfg), &text, &err), 0);
	struct pve_storages s;
	pve_storages_parse(&text, &s);
	text_file_free(&text);
	assert_int_equal(s.count, 3);
	struct pcipt_error why;
	char *p = NULL;
	assert_int_equal(pve_snippet_path(&s, "local:snippets/pcipt-hook", &p, &why), 0);
	assert_string_equal(p, "/var/lib/vz/snippets/pcipt-hook");
	free(p);
	assert_int_equal(pve_snippet_path(&s, "nas:snippets/h.pl", &p, &why), 0);
	assert_string_equal(p, "/mnt/pve/nas/snippets/h.pl"); /* network storages mount there */
	free(p);
	p = NULL;
	assert_int_equal(pve_snippet_path(&s, "local-lvm:snippets/x", &p, &why), -EINVAL);
	assert_non_null(strstr(why.message, "holds no files"));
	assert_int_equal(pve_snippet_path(&s, "local:iso/x.iso", &p, &why), -EINVAL);
	assert_non_null(strstr(why.message, "snippets directory"));
	assert_int_equal(pve_snippet_path(&s, "local:snippets/../../etc/x", &p, &why), -EINVAL);
	assert_int_equal(pve_snippet_path(&s, "nowhere:snippets/x", &p, &why), -EINVAL);
	assert_non_null(strstr(why.message, "does not define"));
	assert_null(p); /* untouched on failure */
	pve_storages_free(&s);
}

static char *make_root(void)
{
	char tmpl[] = "/tmp/pcipt-test-host-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	return strdup(dir);
}

static void write_file(const char *root, const char *rel, const char *content)
{
	char path[512];
	snprintf(path, sizeof(path), "%s%s", root, rel);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void rooted_reads(void **state)
{
	(void)state;
	char *root = make_root();
	write_file(root, "/sys/a/vendor", "0x10de\n");
	struct rootfs *fs;
	assert_int_equal(rootfs_new(root, &fs), 0);
	write_file(root, "/sys/a/power_state", "D3cold\n");
	write_file(root, "/sys/a/big", "0123456789abcdef0123456789abcdef\n");
	char buf[16];
	assert_int_equal(host_read_attr(fs, "/sys/a/power_state", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "D3cold");
	/* too big for the buffer: an error, never a truncation */
	assert_int_equal(host_read_attr(fs, "/sys/a/big", buf, sizeof(buf)), -E2BIG);
	long long v;
	assert_int_equal(host_read_number(fs, "/sys/a/vendor", &v), 0);
	assert_int_equal(v, 0x10de);
	assert_int_equal(host_read_number(fs, "/sys/a/power_state", &v), -EINVAL);
	assert_int_equal(host_read_attr(fs, "/sys/a/missing", buf, sizeof(buf)), -ENOENT);
	/* a link's last component; a link out of the root does not resolve */
	char link[512];
	snprintf(link, sizeof(link), "%s/sys/a/driver", root);
	assert_int_equal(symlink("../bus/pci/drivers/vfio-pci", link), 0);
	assert_int_equal(host_read_link_name(fs, "/sys/a/driver", buf, sizeof(buf)), 8);
	assert_string_equal(buf, "vfio-pci");
	snprintf(link, sizeof(link), "%s/sys/a/escape", root);
	assert_int_equal(symlink("/etc", link), 0);
	/* ROOT/etc: the link's target taken inside the root, where there is none */
	char *r = NULL;
	assert_int_equal(rootfs_resolve(fs, "/sys/a/escape", &r), -ENOENT);
	assert_null(r);
	assert_int_equal(rootfs_resolve(fs, "/sys/a/vendor", &r), 0);
	assert_string_equal(r, "/sys/a/vendor");
	free(r);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	rootfs_free(fs);
	free(root);
}

/* A file that is no regular file is refused before a byte is read, and without blocking: a
 * named pipe with no writer, a socket (which open(2) refuses with ENXIO) and a directory. */
static void rooted_reads_refuse_what_is_no_file(void **state)
{
	(void)state;
	char *root = make_root();
	write_file(root, "/sys/a/vendor", "0x10de\n");
	struct rootfs *fs;
	assert_int_equal(rootfs_new(root, &fs), 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/sys/a/pipe", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/sys/a/socket", root);
	assert_int_equal(mknod(path, S_IFSOCK | 0644, 0), 0);
	char buf[16];
	char *data;
	size_t size;
	assert_int_equal(host_read_attr(fs, "/sys/a/pipe", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(rootfs_read(fs, "/sys/a/pipe", 0, 64, &data, &size), -EINVAL);
	assert_int_equal(host_read_attr(fs, "/sys/a/socket", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(host_read_attr(fs, "/sys/a", buf, sizeof(buf)), -EISDIR);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	rootfs_free(fs);
	free(root);
}

/* fstat(2) failing on the descriptor just opened (a FUSE file system can do that): the read
 * fails with fstat's error, and nothing is decided on a struct stat that was never filled.
 * A seccomp filter in a child makes every fstat fail with EOVERFLOW; glibc 2.33 and later
 * implement fstat as newfstatat(fd, "", AT_EMPTY_PATH), stat(2) of a path stays allowed. */
static void rooted_reads_report_a_failed_fstat(void **state)
{
	(void)state;
#if defined(__x86_64__) && defined(__NR_newfstatat)
	char *root = make_root();
	write_file(root, "/sys/a/vendor", "0x10de\n");
	struct rootfs *fs;
	assert_int_equal(rootfs_new(root, &fs), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct sock_filter filter[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fstat, 4, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_newfstatat, 0, 2),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[3])),
			BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EOVERFLOW),
		};
		struct sock_fprog prog = {sizeof(filter) / sizeof(filter[0]), filter};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			_exit(100);
		char buf[16];
		int r = host_read_attr(fs, "/sys/a/vendor", buf, sizeof(buf));
		_exit(r == -EOVERFLOW ? 0 : r == -EISDIR ? 1 : r == -EINVAL ? 2 : r >= 0 ? 3 : 4);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100)
		skip(); /* no seccomp here */
	assert_int_equal(WEXITSTATUS(status), 0);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	rootfs_free(fs);
	free(root);
#else
	skip();
#endif
}

/* --- the timed child of every kernel write (lib/kernelio_timed.c) ----------------------- */

static int op_fails_enoent(void *arg)
{
	(void)arg;
	return -ENOENT;
}

static int op_fails_eperm(void *arg)
{
	(void)arg;
	return -EPERM;
}

/* the op becomes a program, as the real kernel interface's modprobe does */
static int op_runs(void *arg)
{
	const char *const *argv = arg;
	execv(argv[0], (char *const *)argv);
	return -errno;
}

static int op_hangs(void *arg)
{
	(void)arg;
	pause();
	return 0;
}

static void timed_child_results(void **state)
{
	(void)state;
	assert_int_equal(kernel_timed(op_fails_enoent, NULL, 10000), -ENOENT);
	assert_int_equal(kernel_timed(op_fails_eperm, NULL, 10000), -EPERM);
	const char *const true_argv[] = {"/bin/sh", "-c", "exit 0", NULL};
	assert_int_equal(kernel_timed(op_runs, (void *)true_argv, 10000), 0);
	/* a program's exit status is no errno: `modprobe vfio-pci` exiting 1 is not EPERM, 2 not
	 * ENOENT */
	const char *const one_argv[] = {"/bin/sh", "-c", "exit 1", NULL};
	assert_int_equal(kernel_timed(op_runs, (void *)one_argv, 10000), -EIO);
	const char *const two_argv[] = {"/bin/sh", "-c", "exit 2", NULL};
	assert_int_equal(kernel_timed(op_runs, (void *)two_argv, 10000), -EIO);
	/* a program that cannot be run: exec's own error */
	const char *const missing_argv[] = {"/nonexistent/pcipt/modprobe", NULL};
	assert_int_equal(kernel_timed(op_runs, (void *)missing_argv, 10000), -ENOENT);
	/* killed by a signal, and cut off by the timeout */
	const char *const killed_argv[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
	assert_int_equal(kernel_timed(op_runs, (void *)killed_argv, 10000), -EINTR);
	assert_int_equal(kernel_timed(op_hangs, NULL, 100), -ETIMEDOUT);
}

static void pci_addresses(void **state)
{
	(void)state;
	assert_true(host_is_pci_address("0000:01:00.0"));
	assert_true(host_is_pci_address("10000:e1:00.0")); /* Intel VMD domains */
	assert_true(host_is_pci_address("ffffffff:ff:1f.7"));
	assert_false(host_is_pci_address("100000000:01:00.0"));
	assert_false(host_is_pci_address("000:01:00.0"));
	assert_false(host_is_pci_address("0000:01:00.8")); /* functions are 0-7 */
	assert_false(host_is_pci_address("0000:01:00.0x"));
	assert_false(host_is_pci_address("0000:0G:00.0"));
	assert_false(host_is_pci_address("0000:01:00"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iomem_framebuffer_inside_a_bar),
		cmocka_unit_test(iomem_unprivileged_shows_zeros),
		cmocka_unit_test(mountinfo_lines),
		cmocka_unit_test(reservations_in_proxmox_format),
		cmocka_unit_test(storage_snippets),
		cmocka_unit_test(rooted_reads),
		cmocka_unit_test(rooted_reads_refuse_what_is_no_file),
		cmocka_unit_test(rooted_reads_report_a_failed_fstat),
		cmocka_unit_test(timed_child_results),
		cmocka_unit_test(pci_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
