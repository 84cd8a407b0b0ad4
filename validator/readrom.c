#include "readrom.h"

#include "../lib/kernelio.h"
#include "../lib/paths.h"
#include "../lib/pciaddr.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int readrom_address(const char *text, char *buf, size_t size)
{
	struct pci_addr a;
	if (!pci_addr_parse(text, strlen(text), PCI_ADDR_DOMAIN_MAX_8 | PCI_ADDR_FUNCTION_MAX_7,
			    &a))
		return -EINVAL;
	if (a.function < 0)
		return -EISDIR;
	/* the kernel's "%04x:%02x:%02x.%d" */
	snprintf(buf, size, "%04x:%02x:%02x.%d", a.domain, a.bus, a.device, a.function);
	return 0;
}

int readrom_card(const struct rootfs *root, const char *address, struct readrom_card *ret,
		 enum readrom_trouble *trouble, struct pcipt_error *err)
{
	struct readrom_card c = {0};
	snprintf(c.address, sizeof(c.address), "%s", address);
	c.rom_path = host_device_path(address, "rom");
	*ret = c;
	char *dir = host_device_path(address, NULL);
	bool present = rootfs_is_dir(root, dir);
	if (!present) {
		*trouble = READROM_NO_DEVICE;
		error_set(err, -ENODEV, "no PCI device %s (no %s)", address, dir);
		free(dir);
		return -ENODEV;
	}
	free(dir);
	long long vendor, device;
	char *vp = host_device_path(address, "vendor"), *dp = host_device_path(address, "device");
	if (host_read_number(root, vp, &vendor) == 0 && host_read_number(root, dp, &device) == 0 &&
	    vendor >= 0 && vendor <= 0xffff && device >= 0 && device <= 0xffff) {
		ret->have_ids = true;
		ret->vendor = (unsigned)vendor;
		ret->device = (unsigned)device;
	}
	free(vp);
	free(dp);
	char *bp = host_device_path(address, "boot_vga"), *dv = host_device_path(address, "driver");
	char flag[8];
	ret->boot_vga = host_read_attr(root, bp, flag, sizeof(flag)) > 0 && strcmp(flag, "1") == 0;
	if (host_read_link_name(root, dv, ret->driver, sizeof(ret->driver)) < 0)
		ret->driver[0] = '\0';
	free(bp);
	free(dv);
	/* the kernel makes the attribute only for a device with an expansion ROM BAR of some
	 * size (pci_create_resource_files(): pci_resource_len(pdev, PCI_ROM_RESOURCE)) */
	struct stat st;
	if (rootfs_lstat(root, ret->rom_path, &st) < 0) {
		char shown[160];
		readrom_card_describe(ret, shown, sizeof(shown));
		*trouble = READROM_NO_ROM_BAR;
		return error_set(err, -ENOENT, "%s has no ROM BAR: no %s", shown, ret->rom_path);
	}
	return 0;
}

void readrom_card_free(struct readrom_card *card)
{
	free(card->rom_path);
	card->rom_path = NULL;
}

void readrom_card_describe(const struct readrom_card *card, char *buf, size_t size)
{
	char ids[16] = "";
	if (card->have_ids)
		snprintf(ids, sizeof(ids), "%04x:%04x, ", card->vendor, card->device);
	snprintf(buf, size, "%s (%sdriver %s%s)", card->address, ids,
		 card->driver[0] ? card->driver : "none", card->boot_vga ? ", boot GPU" : "");
}

/* "did not finish within 10 s" for a timeout, else strerror */
static const char *write_error(int r, unsigned timeout_ms, char *buf, size_t size)
{
	if (r != -ETIMEDOUT)
		return strerror(-r);
	snprintf(buf, size, "the write did not finish within %u s", (timeout_ms + 999) / 1000);
	return buf;
}

static enum readrom_trouble trouble_of(int r)
{
	return r == -EACCES || r == -EPERM ? READROM_NOT_ROOT : READROM_FAILED;
}

/* Why data is no ROM the kernel could read, or NULL when it may be one */
static const char *not_read(const uint8_t *data, size_t size, char *buf, size_t bufsize)
{
	if (size == 0)
		return "it gave 0 bytes";
	/* a ROM that does not answer reads as all ones (the kernel itself refuses one whose
	 * first bytes are not 0x55AA: "Invalid PCI ROM header signature") */
	if (size >= 2 && data[0] == 0xff && data[1] == 0xff) {
		size_t n = 0;
		while (n < size && data[n] == 0xff)
			n++;
		if (n == size)
			snprintf(buf, bufsize,
				 "it gave %zu bytes of 0xff (a ROM that is not there)", size);
		else
			snprintf(buf, bufsize,
				 "it starts with 0xffff, not 0x55AA (a ROM that is not there)");
		return buf;
	}
	return NULL;
}

int readrom_read(const struct rootfs *root, const struct readrom_card *card, unsigned timeout_ms,
		 struct readrom *ret, enum readrom_trouble *trouble, struct pcipt_error *err)
{
	char shown[160], why[96];
	readrom_card_describe(card, shown, sizeof(shown));
	int on = kernel_write(root, card->rom_path, "1\n", timeout_ms);
	char *text = NULL;
	size_t size = 0;
	int r = on;
	if (on == 0)
		r = kernel_read(root, card->rom_path, READROM_MAX_SIZE, &text, &size);
	/* off again whatever happened: a write that failed or timed out may still have turned
	 * it on */
	int off = kernel_write(root, card->rom_path, "0\n", timeout_ms);
	if (on < 0) {
		*trouble = trouble_of(on);
		return error_set(err, on, "%s: cannot turn its ROM on: %s", shown,
				 write_error(on, timeout_ms, why, sizeof(why)));
	}
	if (r < 0) {
		*trouble = r == -EIO ? READROM_UNREADABLE : trouble_of(r);
		if (r == -EFBIG)
			error_set(err, r, "%s: its ROM is larger than %zu MiB: not read", shown,
				  READROM_MAX_SIZE >> 20);
		else
			error_set(err, r, "%s: the kernel could not read its ROM: %s", shown,
				  strerror(-r));
	} else {
		const uint8_t *data = (const uint8_t *)text;
		const char *reason = not_read(data, size, why, sizeof(why));
		struct pcipt_error parse;
		if (reason) {
			*trouble = READROM_UNREADABLE;
			r = error_set(err, -EIO, "%s: the kernel could not read its ROM: %s", shown,
				      reason);
		} else if (optionrom_parse(data, size, &ret->rom, &parse) < 0) {
			*trouble = READROM_UNREADABLE;
			r = error_set(err, -EIO, "%s: the kernel could not read its ROM: %s", shown,
				      parse.message);
		}
	}
	if (r < 0) {
		free(text);
		size_t len = strlen(err->message);
		if (off < 0 && len + 1 < sizeof(err->message)) {
			snprintf(err->message + len, sizeof(err->message) - len,
				 "; turning it off again failed too: %s",
				 write_error(off, timeout_ms, why, sizeof(why)));
		}
		return r;
	}
	ret->data = (uint8_t *)text;
	ret->size = size;
	ret->off_error = off;
	return 0;
}

void readrom_free(struct readrom *r)
{
	free(r->data);
	r->data = NULL;
}

const char *const *readrom_hints(enum readrom_trouble trouble)
{
	static const char *const unreadable[] = {
		"the boot GPU's ROM is often one the host firmware changed and the kernel cannot "
		"read back: boot the host from another GPU (or put the card in another machine) "
		"and read it there, or use the ROM file the card's vendor publishes",
		"a card in use may not show its ROM: stop the VM that has it, or unbind its "
		"driver, and read it again",
		NULL,
	};
	static const char *const not_root[] = {
		"run it as root: only root may turn a card's ROM on and read it",
		NULL,
	};
	static const char *const no_rom_bar[] = {
		"there is nothing to read: a card without a ROM of its own that needs one in the "
		"VM takes the vendor's file as romfile=",
		NULL,
	};
	static const char *const no_device[] = {
		"`lspci -D` lists this host's PCI addresses",
		NULL,
	};
	static const char *const none[] = {NULL};
	switch (trouble) {
	case READROM_NO_DEVICE:
		return no_device;
	case READROM_NO_ROM_BAR:
		return no_rom_bar;
	case READROM_NOT_ROOT:
		return not_root;
	case READROM_UNREADABLE:
		return unreadable;
	case READROM_FAILED:
		break;
	}
	return none;
}

static void print_image(FILE *out, size_t index, const struct optionrom_image *im,
			const struct readrom *r)
{
	fprintf(out, "image %zu at 0x%zx: %04x:%04x, class %06x, code type %u (%s)", index,
		im->offset, im->vendor, im->device, im->class_code, im->code_type,
		optionrom_code_type_name(im->code_type));
	if (im->last)
		fputs(", last image", out);
	bool efi = im->code_type == OPTIONROM_CODE_EFI;
	if (efi && !im->efi_signature_ok) {
		fputs(", no EFI signature (0x0EF1)", out);
	} else if (efi) {
		const char *subsystem = optionrom_efi_subsystem_name(im->efi_subsystem);
		const char *machine = optionrom_efi_machine_name(im->efi_machine);
		fprintf(out, ", EFI signature ok, subsystem %u (%s), machine 0x%04x (%s)",
			im->efi_subsystem, subsystem ? subsystem : "unknown", im->efi_machine,
			machine ? machine : "unknown");
		if (im->efi_compression == 0)
			fputs(", not compressed", out);
		else if (im->efi_compression == 1)
			fputs(", compressed", out);
		else
			fprintf(out, ", compression %u (unknown)", im->efi_compression);
	}
	int sum = optionrom_image_checksum(r->data, r->size, im);
	if (sum == 0)
		fputs(", checksum ok", out);
	else if (efi) /* the UEFI spec asks for no checksum; EDK2 checks none */
		fprintf(out, ", checksum not used by EFI (sum 0x%02x)", (unsigned)sum);
	else if (sum > 0)
		fprintf(out, ", checksum bad (sum 0x%02x)", (unsigned)sum);
	else
		fprintf(out, ", checksum bad (size byte %u)", r->data[im->offset + 2]);
	fputc('\n', out);
}

static size_t index_of(const struct optionrom *rom, const struct optionrom_image *im)
{
	return (size_t)(im - rom->images);
}

/* SeaBIOS's verdict (optionroms.c): the first x86 image for the card, and its checksum */
static bool print_seabios(FILE *out, const struct readrom_card *card, const struct readrom *r)
{
	const struct optionrom *rom = &r->rom;
	const struct optionrom_image *any = NULL;
	for (size_t i = 0; i < rom->count && !any; i++) {
		if (rom->images[i].code_type == OPTIONROM_CODE_X86)
			any = &rom->images[i];
	}
	const struct optionrom_image *im =
		card->have_ids ? optionrom_seabios_image(rom, card->vendor, card->device) : any;
	if (!any) {
		fputs("SeaBIOS: no x86 legacy image (code type 0); SeaBIOS cannot run it\n", out);
		return false;
	}
	if (!im) {
		fprintf(out,
			"SeaBIOS: no x86 image for this card's %04x:%04x (image %zu is for "
			"%04x:%04x); SeaBIOS skips an image made for another device\n",
			card->vendor, card->device, index_of(rom, any), any->vendor, any->device);
		return false;
	}
	if (optionrom_image_checksum(r->data, r->size, im) != 0) {
		fprintf(out,
			"SeaBIOS: image %zu's checksum is bad; SeaBIOS refuses it (\"Found option rom "
			"with bad checksum\")\n",
			index_of(rom, im));
		return false;
	}
	fprintf(out, "SeaBIOS: runs image %zu (x86 BIOS for %04x:%04x)\n", index_of(rom, im),
		im->vendor, im->device);
	return true;
}

static bool print_ovmf(FILE *out, const struct readrom *r)
{
	const struct optionrom_image *im = optionrom_ovmf_image(&r->rom);
	if (!im) {
		/* the words of rom-uefi for a romfile= under bios: ovmf */
		fputs("OVMF: no EFI image for x64 or EBC (code type 3); with bios: ovmf the card "
		      "shows nothing until the guest's driver loads\n",
		      out);
		return false;
	}
	fprintf(out, "OVMF: runs image %zu (%s for %s)\n", index_of(&r->rom, im),
		optionrom_efi_subsystem_name(im->efi_subsystem),
		optionrom_efi_machine_name(im->efi_machine));
	return true;
}

bool readrom_print(FILE *out, const struct readrom_card *card, const struct readrom *r)
{
	char shown[160];
	readrom_card_describe(card, shown, sizeof(shown));
	fprintf(out, "%s: ROM of %zu bytes, %zu image%s\n", shown, r->size, r->rom.count,
		r->rom.count == 1 ? "" : "s");
	for (size_t i = 0; i < r->rom.count; i++)
		print_image(out, i, &r->rom.images[i], r);
	bool seabios = print_seabios(out, card, r);
	bool ovmf = print_ovmf(out, r);
	return seabios || ovmf;
}

char *readrom_romfile_value(const char *dir, const char *name)
{
	size_t len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	size_t base = strlen(PATH_KVM_ROM_DIR);
	if (len == base && strncmp(dir, PATH_KVM_ROM_DIR, base) == 0)
		return xstrdup(name);
	if (len > base && strncmp(dir, PATH_KVM_ROM_DIR "/", base + 1) == 0)
		return xasprintf("%.*s/%s", (int)(len - base - 1), dir + base + 1, name);
	/* out of /usr/share/kvm and down to dir: romfile-path's rom_roots allow that */
	size_t ups = 0;
	for (const char *p = PATH_KVM_ROM_DIR; *p; p++)
		ups += *p == '/';
	char *up = xcalloc(3 * ups + 1, 1);
	for (size_t i = 0; i < ups; i++)
		memcpy(up + 3 * i, "../", 3);
	char *value = len == 1 ? xasprintf("%s%s", up, name)
			       : xasprintf("%s%.*s/%s", up, (int)(len - 1), dir + 1, name);
	free(up);
	return value;
}
