/* vfio-viable /dev/vfio/N: print "viable" when the kernel says every device of the IOMMU
 * group is bound to vfio (or to no driver), "not-viable" otherwise (VFIO_GROUP_GET_STATUS);
 * exit 2 when the group cannot be asked.  Runs inside the system test's guest. */
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <errno.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: vfio-viable /dev/vfio/GROUP\n");
		return 2;
	}
	int fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vfio-viable: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	struct vfio_group_status status = {.argsz = sizeof(status)};
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) < 0) {
		fprintf(stderr, "vfio-viable: VFIO_GROUP_GET_STATUS: %s\n", strerror(errno));
		close(fd);
		return 2;
	}
	close(fd);
	puts(status.flags & VFIO_GROUP_FLAGS_VIABLE ? "viable" : "not-viable");
	return 0;
}
