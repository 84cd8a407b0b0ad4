#include "keys.h"

#include "hostpci.h"
#include "vmoptions.h"
#include "../lib/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct key_family {
	const char *name;
	unsigned count; /* 0: a plain key; N: name0 .. name(N-1) */
};

/* qemu-server $confdesc (QemuServer.pm, with the cloud-init keys merged in) and the index
 * ranges of the numbered keys ($MAX_NETS, $MAX_SCSI_DISKS, ...). */
static const struct key_family known_keys[] = {
	{"acpi", 0},
	{"affinity", 0},
	{"agent", 0},
	{"amd-sev", 0},
	{"arch", 0},
	{"args", 0},
	{"audio0", 0},
	{"autostart", 0},
	{"balloon", 0},
	{"bios", 0},
	{"boot", 0},
	{"bootdisk", 0},
	{"cdrom", 0},
	{"cicustom", 0},
	{"cipassword", 0},
	{"citype", 0},
	{"ciupgrade", 0},
	{"ciuser", 0},
	{"cores", 0},
	{"cpu", 0},
	{"cpulimit", 0},
	{"cpuunits", 0},
	{"description", 0},
	{"efidisk0", 0},
	{"freeze", 0},
	{"hookscript", 0},
	{"hostpci", PVE_MAX_HOSTPCI},
	{"hotplug", 0},
	{"hugepages", 0},
	{"ide", 4},
	{"ipconfig", 32},
	{"ivshmem", 0},
	{"keephugepages", 0},
	{"keyboard", 0},
	{"kvm", 0},
	{"localtime", 0},
	{"lock", 0},
	{"machine", 0},
	{"memory", 0},
	{"meta", 0},
	{"migrate_downtime", 0},
	{"migrate_speed", 0},
	{"name", 0},
	{"nameserver", 0},
	{"net", 32},
	{"numa", 0},
	{"numa", 8},
	{"onboot", 0},
	{"ostype", 0},
	{"parallel", 3},
	{"parent", 0},
	{"protection", 0},
	{"reboot", 0},
	{"rng0", 0},
	{"runningcpu", 0},
	{"runningmachine", 0},
	{"sata", 6},
	{"scsi", 31},
	{"scsihw", 0},
	{"searchdomain", 0},
	{"serial", 4},
	{"shares", 0},
	{"smbios1", 0},
	{"smp", 0},
	{"snaptime", 0},
	{"sockets", 0},
	{"spice_enhancements", 0},
	{"sshkeys", 0},
	{"startdate", 0},
	{"startup", 0},
	{"tablet", 0},
	{"tags", 0},
	{"tdf", 0},
	{"template", 0},
	{"tpmstate0", 0},
	{"unused", 256},
	{"usb", 14},
	{"vcpus", 0},
	{"vga", 0},
	{"virtio", 16},
	{"virtiofs", 10},
	{"vmgenid", 0},
	{"vmstate", 0},
	{"vmstatestorage", 0},
	{"watchdog", 0},
	/* not in $confdesc, but parse_vm_config matches it with a regex of its own */
	{"snapstate", 0},
};

/* Keys whose $confdesc type is boolean: check_type refuses anything but Proxmox's
 * boolean words. */
static const char *const boolean_keys[] = {
	"acpi",       "autostart", "freeze", "kvm",      "localtime",     "numa",      "onboot",
	"protection", "reboot",    "tablet", "template", "keephugepages", "ciupgrade", NULL,
};

/* Split "net12" into "net" and 12; an index must be written without leading zeros,
 * since $confdesc holds the literal names net0..net31. */
static bool split_index(const char *key, size_t *base_len, unsigned long *index)
{
	size_t len = strlen(key), i = len;
	while (i > 0 && isdigit((unsigned char)key[i - 1]))
		i--;
	if (i == len || i == 0)
		return false;
	if (key[i] == '0' && i + 1 < len)
		return false;
	if (len - i > 6)
		return false;
	*base_len = i;
	*index = strtoul(key + i, NULL, 10);
	return true;
}

bool pve_key_is_known(const char *key)
{
	size_t base_len = 0;
	unsigned long index = 0;
	bool indexed = split_index(key, &base_len, &index);
	size_t n = sizeof(known_keys) / sizeof(known_keys[0]);
	for (size_t i = 0; i < n; i++) {
		const struct key_family *k = &known_keys[i];
		if (k->count == 0) {
			if (strcmp(k->name, key) == 0)
				return true;
		} else if (indexed && strlen(k->name) == base_len &&
			   strncmp(k->name, key, base_len) == 0 && index < k->count) {
			return true;
		}
	}
	return false;
}

int pve_hostpci_index(const char *key)
{
	size_t base_len;
	unsigned long index;
	if (!split_index(key, &base_len, &index) || base_len != 7 ||
	    strncmp(key, "hostpci", 7) != 0 || index >= PVE_MAX_HOSTPCI)
		return -1;
	return (int)index;
}

char *pve_unquote(const char *value)
{
	size_t n = strlen(value);
	if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
		return xstrndup(value + 1, n - 2);
	return xstrdup(value);
}

static bool is_boolean_key(const char *key)
{
	for (const char *const *k = boolean_keys; *k; k++) {
		if (strcmp(*k, key) == 0)
			return true;
	}
	return false;
}

/* A plain complaint (no property string) as one error without a key. */
static int plain(char *why, struct prop_errors *ret)
{
	if (!why)
		return 0;
	*ret = (struct prop_errors){0};
	prop_errors_add(ret, PROP_ERROR_BAD_VALUE, NULL, why);
	free(why);
	return -EINVAL;
}

int pve_key_check_value(const char *key, const char *value, struct pve_hostpci *ret_hostpci,
			struct prop_errors *ret)
{
	/* check_type refuses values with line breaks: a stray CR inside a line */
	if (strpbrk(value, "\r\n"))
		return plain(xstrdup("property contains a line feed"), ret);
	if (pve_hostpci_index(key) >= 0) {
		struct pve_hostpci h;
		int r = pve_hostpci_parse(value, &h, ret);
		if (r == 0 && ret_hostpci)
			*ret_hostpci = h;
		else if (r == 0)
			pve_hostpci_free(&h);
		return r;
	}
	if (strcmp(key, "machine") == 0) {
		struct pve_machine m;
		int r = pve_machine_parse(value, &m, ret);
		if (r == 0)
			pve_machine_free(&m);
		return r;
	}
	if (strcmp(key, "vga") == 0) {
		char *type = NULL;
		int r = pve_vga_parse(value, &type, ret);
		if (r == 0)
			free(type);
		return r;
	}
	if (strcmp(key, "hookscript") == 0)
		return plain(pve_check_hookscript(value), ret);
	if (is_boolean_key(key))
		return plain(pve_check_boolean(value), ret);
	return 0;
}
