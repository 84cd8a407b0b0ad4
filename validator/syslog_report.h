/* Findings through syslog (--syslog, pcipt-boot-check.service): one message per finding that
 * names the VM and the check, so `journalctl -u pcipt-boot-check | grep 'VM 100'` finds a VM's:
 *
 *     VM 100 hostpci0: [group-isolation] 0000:01:00.0 (...) shares IOMMU group 14 with ...
 *
 * The key is the one of the config line the finding is on, when the run has the config at hand
 * (the message then loses the "hostpci0: " it would repeat); a finding of no VM names its file
 * and line instead ("/sys/class/iommu: [iommu-disabled] ...").  The priority is the severity's
 * (LOG_ERR, LOG_WARNING, LOG_INFO); the hint is left out, to keep one line per finding.  After
 * the findings, one summary message (LOG_NOTICE) names the run and counts them.
 *
 * The messages go to a sink: pcipt-validate's calls syslog(3), which journald or a syslog daemon
 * reads from /dev/log with the unit of the process; the unit test's keeps them. */
#ifndef PCIPT_VALIDATOR_SYSLOG_REPORT_H
#define PCIPT_VALIDATOR_SYSLOG_REPORT_H

#include "lint.h"
#include "report.h"

#include "../lib/findings.h"

#include <stddef.h>

typedef void syslog_sink(int priority, const char *message, void *ctx);

/* LOG_ERR, LOG_WARNING or LOG_INFO */
int syslog_priority(enum severity severity);

/* The message of f, its check shown as id: "VM 100 hostpci0: [id] MESSAGE" with key (NULL:
 * "VM 100: [id] MESSAGE"), "FILE:LINE: [id] MESSAGE" for a finding of no VM.  malloc'd. */
char *syslog_finding_text(const struct finding *f, const char *id, const char *key);

/* Like struct report (report.h): begin, the findings in batches, end.  The counts are of the
 * findings logged (-q: errors only). */
struct syslog_report {
	syslog_sink *sink;
	void *ctx;
	struct report_options opt;
	size_t errors, warnings, infos;
};
void syslog_report_begin(struct syslog_report *r, const struct report_options *opt,
			 syslog_sink *sink, void *ctx);
/* prepared: what the findings were checked from (the keys of their lines), or NULL */
void syslog_report_findings(struct syslog_report *r, const struct findings *list,
			    const struct lint_prepared *prepared);
/* The summary: "COMMAND: no findings", or "COMMAND: 1 error, 2 warnings, 0 infos; without
 * --syslog it prints each with its hint". */
void syslog_report_end(struct syslog_report *r, const char *command);

#endif
