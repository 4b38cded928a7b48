/* Shared declarations of the guest bridge: value slots, the handle table and
 * the error store. The ABI they implement is described in ../README.md. */
#ifndef PYODIDE_GUEST_BRIDGE_H
#define PYODIDE_GUEST_BRIDGE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <wasi/api.h>

#include "pyn_limits.h"

#define PYN_EXPORT(name) __attribute__((export_name(#name)))

/* Slot kinds: the order of pyodide_kind_t, with HANDLE for PYODIDE_PROXY. */
enum {
  SLOT_NONE, SLOT_BOOL, SLOT_INT, SLOT_FLOAT, SLOT_STR,
  SLOT_BYTES, SLOT_LIST, SLOT_DICT, SLOT_HANDLE,
  SLOT_HOST /* a host object: len = its class id, u.handle = its object id */
};

/* One value crossing the boundary; 16 bytes, the host reads it field by field. */
typedef struct {
  uint32_t kind;
  uint32_t len;
  union { int64_t i; double f; uint32_t ptr; uint32_t handle; uint64_t raw; } u;
} slot_t;
_Static_assert(sizeof(slot_t) == 16, "slot layout is part of the guest ABI");

/* --- handles.c: integer handles → strong references --------------------- */

/* Stores `obj` (a reference the table takes over) and returns its handle, or
 * 0 with MemoryError set. */
uint32_t handle_new(PyObject* obj);
/* The object of a live handle (borrowed), or NULL with ValueError set. */
PyObject* handle_get(uint32_t handle);
/* Drops a handle; -1 with ValueError set if it was not live. */
int handle_release(uint32_t handle);
uint32_t handle_count(void);
/* Releases every handle (a snapshot's copy drops the saving host's). */
void handle_release_all(void);

/* --- convert.c: slots ↔ Python objects ---------------------------------- */

/* Writes `obj` (borrowed) as a slot. Strings and bytes point into the object,
 * which is kept alive until keep_clear(). Returns 0, or -1 with an exception. */
int slot_from_object(PyObject* obj, slot_t* out);
/* Writes `obj` (borrowed) as a new HANDLE slot, whatever its type. */
int slot_as_handle(PyObject* obj, slot_t* out);
/* A new reference built from a host slot, or NULL with an exception. */
PyObject* slot_to_object(const slot_t* slot);
/* Keeps `obj` alive until keep_clear(), because a result points into it. */
int slot_keep(PyObject* obj);
/* Makes room for one more item in the growable array `*items` (of `len`
 * items of `size` bytes, with room for `*capacity`); -1 with MemoryError. */
int make_room(void** items, uint32_t len, uint32_t* capacity, size_t size);
/* Releases the handles in a slot tree the host handed over (a host
 * function's answer), keeping any exception already set. */
void slot_release_handles(const slot_t* slot);
/* Releases what slot_from_object kept alive for the previous result. */
void keep_clear(void);
/* Writes a call's result (a new reference, or NULL with an exception) to
 * `out`, drops the reference and returns the export's status. */
int32_t slot_result(PyObject* result, slot_t* out);

/* --- host.c, hostobj.c: host functions and host objects ---------------- */

/* Calls the host: host function `id` when `op` < 0 (the call_host import),
 * else operation `op` of host object `id` (the host_object import), with
 * `nargs` objects as argument slots. Returns the answer as a new reference,
 * or NULL with the exception the host reported; `*done` (may be NULL) is set
 * when the host says an iterator is exhausted. */
PyObject* host_invoke(uint32_t id, int32_t op, PyObject* const* args, Py_ssize_t nargs, int* done);
/* If `obj` is a host object, writes it as a HOST slot (kept alive until
 * keep_clear) and returns 1; 0 if it is not one; -1 with an exception. */
int host_object_to_slot(PyObject* obj, slot_t* out);
/* The host object of a HOST slot: the live one, or a new one (new reference). */
PyObject* host_object_from_slot(const slot_t* slot);
/* pyodide.HostObject (new reference), or NULL with an exception. */
PyObject* host_object_type(void);

/* _pyodide_core.host_module_wanted(name) (host.c). */
PyObject* core_host_module_wanted(PyObject* self, PyObject* name);

/* --- runtime.c: the host's standard streams --------------------------------- */

/* Reads up to `len` bytes of the host's stdin into `data`: their count, 0 at
 * its end, or -1 with an exception. A KeyboardInterrupt that arrived while the
 * host blocked wins over what the read returned; a signal with a handler of
 * Python's runs it and reads again, as python3's read does after EINTR (PEP 475). */
int32_t stdin_read(char* data, uint32_t len);
/* Writes `len` bytes to the host's stream for fd 1 or 2: 0, or the WASI errno
 * of the stream that failed. */
int32_t stream_write(int32_t fd, const char* data, size_t len);

/* --- readline.c, line_edit.c: input() at a terminal ------------------------ */

/* Makes input() at a terminal read through the host's stdin, as python3's does
 * without the readline module (PyOS_ReadlineFunctionPointer); called once by pyn_init. */
void readline_install(void);
/* The readline module's init function (a built-in module, registered by pyn_init):
 * importing it makes input() at a terminal edit the line. */
PyObject* PyInit_readline(void);

/* What line_edit.c asks readline.c: */
/* The history's lines, oldest first: how many, and one (NULL past the end). */
size_t history_count(void);
const char* history_line(size_t index);
/* What the Tab key does (parse_and_bind). */
enum { TAB_INSERTS, TAB_COMPLETES };
int tab_action(void);
/* Runs the pre-input hook (after the prompt is shown, before keys are read). */
void readline_pre_input(void);
/* The completer's matches for the word that ends at `point` in `line` (UTF-8):
 * *begin is where the word begins, *matches (count of them, sorted, without
 * repeats) what completion_free frees; `listing` says the matches are asked
 * for to be listed (get_completion_type). 0, or -1 when out of memory. The
 * completer's exceptions are dropped, as python3's readline drops them. */
int completion_find(const char* line, size_t point, int listing, size_t* begin, char*** matches, size_t* count);
void completion_free(char** matches, size_t count);
/* Lets the display-matches hook list matches: 1 if there is one (it ran), else 0. */
int completion_display(const char* substitution, char** matches, size_t count, size_t longest);

/* line_edit.c: */
/* How line_edit ended: a line entered, the end of input (Ctrl-D on an empty
 * line), an exception (KeyboardInterrupt, MemoryError), or no terminal whose
 * modes could be set (nothing was shown). */
enum { EDIT_ENTERED, EDIT_END, EDIT_FAILED, EDIT_NO_TERMINAL };
/* Shows `prompt` and edits a line at the terminal behind fds 0 and 1 until it
 * is entered; line_text then has it (without the newline). */
int line_edit(const char* prompt, size_t* len);
/* The line being edited, or as insert_text left it between edits (UTF-8, `*len` bytes). */
const char* line_text(size_t* len);
/* Inserts UTF-8 text at the cursor; -1 when out of memory. */
int line_insert(const char* text, size_t len);
/* Shows the line again, while one is being edited. */
void line_redisplay(void);
/* Empties the line. */
void line_clear(void);

/* --- statvfs.c ------------------------------------------------------------ */

/* Adds os.statvfs, os.statvfs_result and the ST_* flags to posix and os; called
 * once by pyn_init. 0, or -1 with an exception. */
int statvfs_install(void);

/* --- chmod.c ---------------------------------------------------------------- */

/* Makes os.chmod (and posix.chmod) set a file's permission bits through the
 * host; called once Python runs. 0, or -1 with an exception set. */
int chmod_install(void);

/* The permission bits a file or directory made with `mode` gets: less the
 * umask (os.umask's; the host process's until the program sets one). */
int created_mode(int mode);

/* A snapshot's copy: the host process's umask is asked again. */
void chmod_restored(void);

/* --- stdio.c: fds 1 and 2 ---------------------------------------------- */

/* A snapshot's copy: fds 1 and 2 are the new host's again. */
void stdio_restored(void);

/* --- readdir.c ------------------------------------------------------------ */

/* `fd` was closed or renumbered: drops the listing kept for it and the host's
 * copy of its directory, if any. */
void readdir_closed(uint32_t fd);
/* WASI opened `fd` on the directory at `path` beneath the preopen the host
 * numbers `preopen`: the host opens it too, to list it (if it answers). */
void readdir_opened(uint32_t fd, int preopen, int follow, const char* path);

/* --- stat.c ---------------------------------------------------------------- */

/* `fd` was closed or renumbered over: if it was a preopened directory's, the
 * stats of paths beneath it go to WASI from now on. */
void stat_forget(uint32_t fd);

/* A snapshot's copy: every preopen's fd is what its host gave again, whatever the
 * saving runtime closed (the stdlib zip's kept descriptor, when it was there). */
void stat_restored(void);

/* The host's number (0 on) for the preopened directory WASI gave `fd`, or -1 if
 * `fd` is not one or no longer is (closed or renumbered over). */
int preopen_index(uint32_t fd);

/* Keeps the permission bits of a host's filestat `answer` for the stat being
 * made (struct stat's st_mode; WASI's filestat has none). */
void stat_note_mode(const __wasi_filestat_t* answer);

/* Whether the host's preopened directory `preopen` (its number, 0 on) is read-only. */
__attribute__((import_module("pyodide"), import_name("preopen_read_only")))
extern int32_t host_preopen_read_only(int32_t preopen);

/* --- abspath.c ------------------------------------------------------------ */

/* The preopen (the host's number for it) that `path`, absolute or relative to
 * the working directory, is beneath once made absolute and folded as chdir
 * folds it, with what is left beneath that directory in `*relative` ("." for
 * the directory itself), kept in `buffer`. -1 with errno set: ENOENT for an
 * empty path, ENAMETOOLONG, ENOTSUP beneath a directory the host does not
 * serve. */
int preopen_path(const char* path, char buffer[PATH_MAX], const char** relative);

/* What a stat of `path` relative to `fd` (a final link not followed) finds:
 * SUCCESS when something is there, else its errno (NOENT, NOTDIR, ...). */
__wasi_errno_t stat_lookup(__wasi_fd_t fd, const char* path);

/* --- paths.c ---------------------------------------------------------------- */

/* WASI refuses a change beneath a read-only preopened directory with EPERM,
 * where Linux's read-only file systems say EROFS: `err` from a call on
 * directory `fd`, with such an EPERM turned into EROFS. */
__wasi_errno_t read_only_refusal(__wasi_errno_t err, __wasi_fd_t fd);
/* The same for WASI's answer `err` to opening `path` beneath `fd` with
 * `oflags`, looked up as Linux looks before it refuses: EEXIST for an
 * exclusive creation of what is there, ENOENT or ENOTDIR for what is not
 * there without O_CREAT or whose directory is not there, else EROFS. */
__wasi_errno_t open_refusal(__wasi_errno_t err, __wasi_fd_t fd, const char* path, __wasi_oflags_t oflags);

/* --- files.c: files opened for reading, served by the host ----------------- */

/* Whether `fd` is a host-served file that is open. */
int files_is_open(uint32_t fd);
/* The host's number for the host-served file `fd` (its file_* imports take it), or -1. */
int32_t files_host_number(uint32_t fd);
/* fchmod of an open host-served file: 0 or a WASI errno (EROFS in a read-only directory). */
__wasi_errno_t files_set_mode(uint32_t fd, int mode);
/* How many host-served files are open (a snapshot cannot carry them). */
uint32_t files_count(void);
/* fd_write (`offset` NULL) or fd_pwrite of an open host-served file. */
__wasi_errno_t files_write(uint32_t fd, const __wasi_ciovec_t* iovs, size_t iovs_len, const uint64_t* offset,
                           __wasi_size_t* written);
/* Whether `flags` are fstflags WASI takes: known bits, no time both given and now. */
int fstflags_valid(__wasi_fstflags_t flags);
/* fd_close of an open host-served file. */
__wasi_errno_t files_close(uint32_t fd);
/* fd_renumber where `fd` or `to` is an open host-served file. */
__wasi_errno_t files_renumber(uint32_t fd, uint32_t to);

/* What the host's file imports answer for a path where nothing is. */
#define HOST_MISSING (-3)

/* The host reads the regular file at `path` (`len` bytes of UTF-8, a plain
 * absolute path beneath a preopen) whole, in one call, into `data`: its
 * size; -2 if it is more than `cap` bytes (its size in `*size`);
 * HOST_MISSING; another negative number where the host does not answer. */
__attribute__((import_module("pyodide"), import_name("read_file")))
extern int32_t host_read_file(const char* path, uint32_t len, char* data, uint32_t cap, int64_t* size);
/* file_open's answer that is the WASI errno HOST_ERROR_BASE - answer. */
#define HOST_ERROR_BASE (-256)

/* --- errors.c: the last exception, formatted for the host --------------- */

/* Takes the current exception, records it as sys.last_* and formats it.
 * Always returns -1 so callers can `return error_store();`. */
int error_store(void);
/* Records an error raised before Python can format anything. */
int error_store_c(const char* type, const char* message);
/* Sets the helpers error_store uses; called once Python is up. */
void errors_set_formatter(PyObject* format_exception);
/* Raises type(Linux's number for the C errno `err`, words): `type` is OSError
 * (whose constructor picks the subclass of the number, as python3's does) or a
 * subclass. Returns NULL, for `return raise_os_error(...);`. */
PyObject* raise_os_error(PyObject* type, int err, const char* words);
/* Raises `type` (OSError, a subclass, or an exception taking (errno, words)) for
 * the WASI errno `err` as PyErr_SetFromErrno does: Linux's number, and its words
 * (strerror.c). Returns NULL, for `return raise_errno(...);`. */
PyObject* raise_errno(PyObject* type, int err);

/* --- interrupt.c ---------------------------------------------------------- */

/* Raises a KeyboardInterrupt the host delivered (pyn_interrupt_slots) at once,
 * as the interpreter's next check would: for C code that must not report
 * another error first (a read the interrupt cut short). Returns -1 with
 * KeyboardInterrupt set if one was pending, else 0. */
int interrupt_raise_pending(void);

/* --- timers.c ------------------------------------------------------------- */

/* Adds alarm, setitimer, getitimer and ItimerError to _pyodide_core (`module`);
 * -1 with an error set. */
int timers_add_to(PyObject* module);

/* --- clocks.c ------------------------------------------------------------- */

/* out = {user, system} CPU time in nanoseconds of the host process (thread = 0)
 * or of the host thread making the call (1); -1 with errno set. */
int cpu_times(int thread, int64_t out[2]);

/* Adds thread_time and thread_time_ns to _pyodide_core (`module`); -1 with an error set. */
int clocks_add_to(PyObject* module);

/* --- resource.c ----------------------------------------------------------- */

/* The resource module's init function (a built-in module, registered by pyn_init). */
PyObject* PyInit_resource(void);

/* --- fcntl.c -------------------------------------------------------------- */

/* The fcntl module's init function (a built-in module, registered by pyn_init). */
PyObject* PyInit_fcntl(void);

/* --- termios.c ------------------------------------------------------------ */

/* The termios module's init function (a built-in module, registered by pyn_init). */
PyObject* PyInit_termios(void);

#define CONTROL_CHARACTERS 32 /* NCCS */

/* What the terminal import does (Guest/HostTerminal.cs, Command). */
enum { TERMINAL_GET, TERMINAL_SET, TERMINAL_DRAIN, TERMINAL_FLUSH, TERMINAL_FLOW, TERMINAL_BREAK,
       TERMINAL_GET_SIZE, TERMINAL_SET_SIZE };

/* The modes as the host passes them (HostTerminal.Request), and one command's
 * argument (TERMINAL_SET's `when`; the size as columns << 16 | rows). */
typedef struct {
  uint32_t iflag, oflag, cflag, lflag, ispeed, ospeed;
  uint8_t cc[CONTROL_CHARACTERS];
  int32_t argument;
} terminal_request_t;

/* Carries out `command` on the terminal behind descriptor `fd`: 0, or the
 * errno (ENOTTY for a descriptor that is no terminal, EBADF for one not open). */
int terminal_control(int fd, int command, terminal_request_t* request);

/* --- users.c: the sandbox's user and group database ----------------------- */

/* The pwd and grp modules' init functions (built-in modules, registered by pyn_init). */
PyObject* PyInit_pwd(void);
PyObject* PyInit_grp(void);

/* --- flags.c: python3's command-line flags, set after the start --------- */

/* Adds set_flags to `module` (_pyodide_core); 0 or -1. */
int flags_add_to(PyObject* module);

/* --- timezone.c: local time from TZ, as glibc keeps it ----------------------- */

/* Adds set_time_zone to `module` (_pyodide_core); 0 or -1. */
int timezone_add_to(PyObject* module);

/* --- runtime.c ------------------------------------------------------------ */

/* Gives os posix's `name` (os copied posix's names when it was imported, before
 * the bridge added or replaced some) and lists it in os.__all__. 0, or -1 with
 * an exception set. */
int os_publish(const char* name);

/* A path argument of os's functions, as posixmodule takes it: str, bytes or
 * os.PathLike, as bytes in `*bytes` (owned), or another buffer with a
 * DeprecationWarning; the TypeError naming `function` else. 0, or -1 with an
 * exception set. */
int path_argument(PyObject* arg, const char* function, PyObject** bytes);

/* The module pyodide._bridge, imported by pyn_init (a new reference kept for
 * the interpreter's life, so in its copies too). */
extern PyObject* bridge_module;

/* --- snapshot.c ----------------------------------------------------------- */

/* Starts recording for a snapshot (before Python starts); -1 with the error stored. */
int snapshot_start_recording(void);
/* _pyodide_core.compile(source, filename, flags, split_last), for pyodide._base (compile.c). */
PyObject* core_compile(PyObject* self, PyObject* const* args, Py_ssize_t nargs);
/* _pyodide_core.snapshot_rehash(obj), for pyodide._bridge.snapshot_restored. */
PyObject* snapshot_rehash(PyObject* self, PyObject* obj);

/* --- host.c --------------------------------------------------------------- */

/* In a snapshot's copy: the host functions made so far were the saving
 * host's; calling them fails and freeing them tells this host nothing. */
void host_functions_orphan(void);

#endif
