/* The timed child process every write to the kernel runs in, shared by the real kernel
 * interface (lib/kernelio.c, hook/kernel.c) and the fake one of the tests. */
#include "kernelio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The op's result travels through a pipe closed on exec, not through the exit status: an op
 * that replaces the child by a program (modprobe) leaves the pipe empty, and that program's
 * exit status is its own (modprobe exits 1 for any failure), no errno.  Exiting non-zero, it
 * is reported as -EIO: "Operation not permitted" for a modprobe that found no module would
 * send the admin the wrong way. */
int kernel_timed(int (*op)(void *arg), void *arg, unsigned timeout_ms)
{
	int result_pipe[2];
	if (pipe2(result_pipe, O_CLOEXEC) < 0)
		return -errno;
	pid_t child = fork();
	if (child < 0) {
		int e = -errno;
		close(result_pipe[0]);
		close(result_pipe[1]);
		return e;
	}
	if (child == 0) {
		close(result_pipe[0]);
		int r = op(arg);
		ssize_t n = write(result_pipe[1], &r, sizeof(r));
		_exit(n == (ssize_t)sizeof(r) ? 0 : 1);
	}
	close(result_pipe[1]);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int result;
	for (;;) {
		int status;
		pid_t w = waitpid(child, &status, WNOHANG);
		if (w == child) {
			int op_result;
			ssize_t n;
			do
				n = read(result_pipe[0], &op_result, sizeof(op_result));
			while (n < 0 && errno == EINTR);
			if (n == (ssize_t)sizeof(op_result) && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0)
				result = op_result < 0 ? op_result : 0;
			else if (WIFEXITED(status)) /* a program's status, no errno */
				result = WEXITSTATUS(status) == 0 ? 0 : -EIO;
			else
				result = -EINTR; /* killed by a signal */
			break;
		}
		if (w < 0 && errno != EINTR) {
			result = -errno;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long ms = (now.tv_sec - start.tv_sec) * 1000LL +
			       (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= timeout_ms) {
			/* a child blocked in the kernel (an unbind that never returns) ignores the
			 * signal until it leaves; do not wait for it */
			kill(child, SIGKILL);
			(void)waitpid(child, &status, WNOHANG);
			result = -ETIMEDOUT;
			break;
		}
		struct timespec pause = {0, 1000000}; /* 1 ms */
		nanosleep(&pause, NULL);
	}
	close(result_pipe[0]);
	return result;
}
