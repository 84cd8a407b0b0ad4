# pcipt — PCI passthrough checks for Proxmox VE.
#
#   make            build the programs into build/
#   make demo       run pcipt-validate on the example configs and on an example fake host
#   make check      build with ASan+UBSan and run every test (unit, CLI, fuzz corpus replay)
#   make bench      offline lint of 10,000 configs against `cat`; host mode on a 256-device
#                   fake host against `lspci -n`; --all-nodes on a 16-node, 1,000-VM cluster
#   make fuzz       build libFuzzer targets with clang (when available) into build/fuzz/
#   make format-check  every C source laid out as .clang-format says (clang-format 14);
#                   make format reformats them
#   make man        the man pages (scdoc) into build/man/
#   make install    DESTDIR=... PREFIX=/usr: programs, settings, rules, man pages, bash completion
#   make deb        build/deb/pcipt_VERSION_amd64.deb with dpkg-buildpackage
#   make system-test  boot Debian's kernel under QEMU with an emulated IOMMU and run the
#                   programs against its real sysfs and vfio-pci (tests/system/run.sh)

VERSION := 0.1.0
PKGS := libpci libconfuse yaml-0.1 json-c libmd

CC ?= cc
PKG_CONFIG ?= pkg-config
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))

# -Werror in `make`, `make check` and CI; the Debian package builds with WERROR= so that a
# warning a newer compiler adds is printed but does not fail the package build.
WERROR ?= -Werror
WARN := -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-nonliteral -Wvla
PREFIX ?= /usr
BASE_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -DPCIPT_VERSION='"$(VERSION)"' \
	-DPCIPT_HOOK_PATH='"$(PREFIX)/lib/pcipt/pcipt-hook"' $(PKG_CFLAGS) $(CPPFLAGS)
CFLAGS ?= -O2 -g
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDLIBS_ALL := -Wl,--as-needed $(PKG_LIBS)

# Library modules shared by both programs (one header each).
LIB_SRC := lib/xalloc.c lib/error.c lib/check_ids.c lib/findings.c lib/textfile.c lib/rootfs.c lib/settings.c \
	lib/pciaddr.c lib/kernelio_timed.c
PVE_SRC := pve/propstr.c pve/hostpci.c pve/vmoptions.c pve/keys.c pve/args.c pve/vmconfig.c \
	pve/mapping.c pve/storage.c pve/cluster.c pve/ha.c
RULES_SRC := rules/catalogue.c rules/yaml_tree.c rules/rules.c rules/explain.c
HOST_SRC := host/optionrom.c host/files.c host/cmdline.c host/modules.c host/sysfs.c host/pci.c host/iommu.c \
	host/iomem.c host/hostuse.c host/runstate.c host/host.c host/snapshot.c \
	host/drift.c
VALIDATOR_SRC := validator/check_config.c validator/check_expansion.c validator/check_shared.c validator/check_devices.c \
	validator/vmdevices.c validator/check_host.c validator/check_vmhost.c validator/groups.c \
	validator/lint.c validator/report.c validator/setup.c validator/install_hook.c validator/publish.c \
	validator/check_cluster.c validator/lint_cluster.c \
	validator/pins.c validator/check_identity.c \
	validator/diff.c validator/syslog_report.c validator/readrom.c
# The real kernel is linked into the programs beside their main.c, never into the archive:
# lib/kernelio.c (the sysfs writes, and the ROM reads of pcipt-validate --read-rom) into both,
# hook/kernel.c (modprobe) into pcipt-hook.  The tests link tests/fakekernel/kernel_fake.c in
# their place (pcipt-hook-fake, pcipt-validate-fake).
KERNEL_OBJ := lib/kernelio.o
HOOK_SRC := hook/kernel_common.c hook/state.c hook/bind.c
CORE_SRC := $(LIB_SRC) $(PVE_SRC) $(RULES_SRC) $(HOST_SRC) $(VALIDATOR_SRC) $(HOOK_SRC)

UNIT_TESTS := test_error test_textfile test_rootfs test_propstr test_hostpci test_vmconfig test_checks test_rules test_settings test_mapping test_optionrom test_cmdline test_modules test_host test_snapshot test_ha test_pins test_drift \
	test_explain test_syslog_report test_kernelio
FUZZ_TARGETS := fuzz_vmconfig fuzz_hostpci fuzz_rules fuzz_settings fuzz_optionrom fuzz_mapping fuzz_modprobe fuzz_cmdline fuzz_hostfiles fuzz_state fuzz_snapshot fuzz_ha fuzz_pins

B := build
S := build/san

.PHONY: all man demo check fuzz format format-check bench system-test install deb clean
# keep intermediate objects (and keep make quiet about deleting them after the test summary)
.SECONDARY:
all: $(B)/pcipt-validate $(B)/pcipt-hook man

# --- man pages: scdoc sources in packaging/man ---------------------------------
MAN_PAGES := pcipt-validate.8 pcipt-hook.8 pcipt-rules.5 pcipt.conf.5 pcipt-snapshot.5
man: $(MAN_PAGES:%=$(B)/man/%)
$(B)/man/%: packaging/man/%.scd
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VERSION)/g' $< | scdoc >$@.tmp && mv $@.tmp $@
# pcipt-rules(5) with rules/explain.scd as its CHECKS section (the text --explain prints),
# kept as the page's full source in build/man/pcipt-rules.5.scd
$(B)/man/pcipt-rules.5.scd: packaging/man/pcipt-rules.5.scd rules/explain.scd
	@mkdir -p $(dir $@)
	sed -e 's/@VERSION@/$(VERSION)/g' -e '/^@CHECKS@$$/{r rules/explain.scd' -e 'd' -e '}' $< >$@.tmp
	mv $@.tmp $@
$(B)/man/pcipt-rules.5: $(B)/man/pcipt-rules.5.scd
	scdoc <$< >$@.tmp && mv $@.tmp $@

# --- normal build -----------------------------------------------------------
$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# rules/default.yaml compiled in, so the binary works without /etc/pcipt; rules/explain.scd,
# the text of every check (--explain)
EMBEDDED := rules_builtin rules_explain
$(B)/rules_builtin.c: rules/default.yaml rules/embed.sh
	@mkdir -p $(dir $@)
	rules/embed.sh $< rules_builtin_yaml > $@
$(B)/rules_explain.c: rules/explain.scd rules/embed.sh
	@mkdir -p $(dir $@)
	rules/embed.sh $< rules_explain_scd > $@
$(EMBEDDED:%=$(B)/%.o): $(B)/%.o: $(B)/%.c
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@
$(EMBEDDED:%=$(S)/%.o): $(S)/%.o: $(B)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(B)/libpcipt.a: $(CORE_SRC:%.c=$(B)/%.o) $(EMBEDDED:%=$(B)/%.o)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/pcipt-validate: $(B)/validator/main.o $(B)/$(KERNEL_OBJ) $(B)/libpcipt.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(B)/pcipt-hook: $(B)/hook/main.o $(B)/hook/kernel.o $(B)/$(KERNEL_OBJ) $(B)/libpcipt.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# --- sanitizer build, used by every test ------------------------------------
$(S)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(S)/libpcipt.a: $(CORE_SRC:%.c=$(S)/%.o) $(EMBEDDED:%=$(S)/%.o)
	rm -f $@ && $(AR) rcs $@ $^

$(S)/pcipt-validate: $(S)/validator/main.o $(S)/$(KERNEL_OBJ) $(S)/libpcipt.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS_ALL)

$(S)/pcipt-hook: $(S)/hook/main.o $(S)/hook/kernel.o $(S)/$(KERNEL_OBJ) $(S)/libpcipt.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS_ALL)

# the same programs over the fake kernel of tests/fakekernel (driver links that move, writes
# that fail or hang on demand, a ROM served behind a device's rom attribute)
$(S)/pcipt-hook-fake: $(S)/hook/main.o $(S)/tests/fakekernel/kernel_fake.o $(S)/libpcipt.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS_ALL)
$(S)/pcipt-validate-fake: $(S)/validator/main.o $(S)/tests/fakekernel/kernel_fake.o $(S)/libpcipt.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS_ALL)

$(S)/tests/unit/%: $(S)/tests/unit/%.o $(S)/libpcipt.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs cmocka) $(LDLIBS_ALL)
# the real kernel interface, which the archive does not hold
$(S)/tests/unit/test_kernelio: $(S)/tests/unit/test_kernelio.o $(S)/$(KERNEL_OBJ) $(S)/libpcipt.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs cmocka) $(LDLIBS_ALL)

# Fuzz targets as plain programs replaying a corpus (gcc), see tests/fuzz/replay.c
$(S)/tests/fuzz/%: $(S)/tests/fuzz/%.o $(S)/tests/fuzz/replay.o $(S)/libpcipt.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS_ALL)

SAN_PROGRAMS := $(S)/pcipt-validate $(S)/pcipt-hook $(S)/pcipt-hook-fake $(S)/pcipt-validate-fake $(UNIT_TESTS:%=$(S)/tests/unit/%) \
	$(FUZZ_TARGETS:%=$(S)/tests/fuzz/%)

check: $(SAN_PROGRAMS) man
	@tests/run-tests.sh $(S)

# --- demo ------------------------------------------------------------------
demo: $(B)/pcipt-validate
	@echo '$$ pcipt-validate --offline --root tests/fixtures/demo --all'
	@$(B)/pcipt-validate --offline --root tests/fixtures/demo --all; \
	 status=$$?; echo "(exit status $$status: 0 clean, 1 errors found, 2 unreadable input)"; \
	 test $$status -le 1
	@rm -rf $(B)/demo-host && python3 tests/fakehost/mkhost.py tests/fixtures/demo/host.spec $(B)/demo-host
	@echo
	@echo '$$ pcipt-validate --root build/demo-host --all     # a fake host built from tests/fixtures/demo/host.spec'
	@$(B)/pcipt-validate --root $(B)/demo-host --all; \
	 status=$$?; echo "(exit status $$status)"; test $$status -le 1
	@echo
	@echo '$$ pcipt-validate --root build/demo-host --groups'
	@$(B)/pcipt-validate --root $(B)/demo-host --groups

# --- libFuzzer builds (clang) ----------------------------------------------
# The core is compiled once into its own archive, instrumented for coverage but without
# libFuzzer's main (fuzzer-no-link); each target links its own file with it.
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FZ := $(B)/fuzz/obj
fuzz: $(FUZZ_TARGETS:%=$(B)/fuzz/%)

$(FZ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) -MMD -MP -c $< -o $@
$(EMBEDDED:%=$(FZ)/%.o): $(FZ)/%.o: $(B)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@

$(B)/fuzz/libpcipt.a: $(CORE_SRC:%.c=$(FZ)/%.o) $(EMBEDDED:%=$(FZ)/%.o)
	rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_TARGETS:%=$(B)/fuzz/%): $(B)/fuzz/%: $(FZ)/tests/fuzz/%.o $(B)/fuzz/libpcipt.a
	$(FUZZ_CC) -g -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS_ALL)

# --- formatting: clang-format 14 (Debian bookworm's), as its output differs between versions
format-check:
	@tests/format-check.sh
format:
	tests/format-check.sh --fix

# --- system test: a real kernel under QEMU ---------------------------------
system-test: $(B)/pcipt-validate $(if $(wildcard hook/main.c),$(B)/pcipt-hook)
	@tests/system/run.sh $(B)

# --- benchmark -------------------------------------------------------------
bench: $(B)/pcipt-validate $(B)/pcipt-hook
	@tests/bench/bench.sh $(B)/pcipt-validate

# --- install (the Debian package uses the same target) ------------------------
SYSCONFDIR ?= /etc
# bookworm keeps units in /lib (the /usr-merge moratorium); lintian flags /usr/lib/systemd
SYSTEMDUNITDIR ?= /lib/systemd/system
DESTDIR ?=
install: $(B)/pcipt-validate $(B)/pcipt-hook man
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/pcipt \
		$(DESTDIR)$(SYSCONFDIR)/pcipt $(DESTDIR)$(PREFIX)/share/pcipt \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(B)/pcipt-validate $(DESTDIR)$(PREFIX)/sbin/pcipt-validate
	install -m 0755 $(B)/pcipt-hook $(DESTDIR)$(PREFIX)/lib/pcipt/pcipt-hook
	install -m 0644 packaging/etc/pcipt.conf $(DESTDIR)$(SYSCONFDIR)/pcipt/pcipt.conf
	install -m 0644 packaging/etc/rules.yaml $(DESTDIR)$(SYSCONFDIR)/pcipt/rules.yaml
	install -m 0644 rules/default.yaml $(DESTDIR)$(PREFIX)/share/pcipt/rules.default.yaml
	install -m 0644 packaging/completion/pcipt-validate packaging/completion/pcipt-hook \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/
	install -m 0644 $(B)/man/pcipt-validate.8 $(B)/man/pcipt-hook.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 $(B)/man/pcipt-rules.5 $(B)/man/pcipt.conf.5 $(B)/man/pcipt-snapshot.5 \
		$(DESTDIR)$(PREFIX)/share/man/man5/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0644 packaging/systemd/pcipt-publish.service packaging/systemd/pcipt-publish.timer \
		packaging/systemd/pcipt-boot-check.service $(DESTDIR)$(SYSTEMDUNITDIR)/
# the identity pins of raw hostpci addresses (pcipt-hook writes them at each start)
	install -d -m 0755 $(DESTDIR)/var/lib/pcipt

# --- Debian package: a copy of the tree with packaging/debian as debian/ ------
# The files the package build needs, copied without git: an exported tree (`git archive`, a
# release tarball) builds the package as a checkout does.
DEB_TREE := Makefile README.md COPYING lib pve host rules validator hook packaging
deb:
	rm -rf $(B)/deb && mkdir -p $(B)/deb/pcipt-$(VERSION)
	cp -RP $(DEB_TREE) $(B)/deb/pcipt-$(VERSION)/
	cp -r packaging/debian $(B)/deb/pcipt-$(VERSION)/debian
	cd $(B)/deb/pcipt-$(VERSION) && dpkg-buildpackage -us -uc -b
	@ls $(B)/deb/*.deb

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
