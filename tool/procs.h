/*
 * procs.h — the profiled processes of this machine as the tool sees them:
 * the per-user runtime directories holding each process's PID.sock
 * (common/rundir.h), and the pid:N / unix:PATH sources that reach one over
 * its socket. Such a source becomes an "http+unix://" URL (the socket path
 * percent-encoded as the host) that fetch_url requests over the socket.
 */
#ifndef CPROF_TOOL_PROCS_H
#define CPROF_TOOL_PROCS_H

#include <stdbool.h>

#include "profile/strlist.h"

/* The runtime directories to look in: this user's, and as root every
 * user's (/run/user/UID/cprof, /tmp/cprof-UID). Appended to dirs. */
void procs_dirs(strlist *dirs);
/* The socket of process pid (malloc'ed), or NULL when it has none. */
char *procs_socket_of(long pid);

/* pid:N[/PATH] or unix:SOCKET.sock[/PATH] as an "http+unix://" URL
 * (malloc'ed): PATH is a profile name under /debug/pprof/ ("heap",
 * "threads?debug=2") or a full "/debug/pprof/..." path; without PATH the
 * URL has none, like host:port. NULL when source is neither form. A pid
 * with no socket gets the path it would have in this user's directory (the
 * fetch then says no process has it). */
char *procs_source_url(const char *source);

/* For an "http+unix://" URL: the socket path (malloc'ed) and the same
 * request as an http://localhost URL (malloc'ed) in *http_url. NULL for any
 * other URL (*http_url untouched). */
char *procs_unix_url_split(const char *url, char **http_url);

#endif
