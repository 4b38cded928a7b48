/* strerror with Linux's words. CPython gives Python Linux's error numbers
 * (cpython-patches/wasi-linux-errno-numbers.patch) but took the message from
 * wasi-libc's strerror, whose words are musl's: "[Errno 12] Out of memory",
 * "Not a tty", "Invalid seek", "No file descriptors available", where python3
 * says "Cannot allocate memory", "Inappropriate ioctl for device", "Illegal
 * seek", "Too many open files". Wrapped at the link (build-guest.sh), so every
 * OSError CPython makes, and os.strerror, read as python3's do on Linux. */
#include <errno.h>
#include <string.h>

char* __real_strerror(int errnum);

/* X(wasi-libc's constant, Linux's words for that error) */
#define LINUX_WORDS(X) \
  X(E2BIG, "Argument list too long") \
  X(EACCES, "Permission denied") \
  X(EADDRINUSE, "Address already in use") \
  X(EADDRNOTAVAIL, "Cannot assign requested address") \
  X(EAFNOSUPPORT, "Address family not supported by protocol") \
  X(EAGAIN, "Resource temporarily unavailable") \
  X(EALREADY, "Operation already in progress") \
  X(EBADF, "Bad file descriptor") \
  X(EBADMSG, "Bad message") \
  X(EBUSY, "Device or resource busy") \
  X(ECANCELED, "Operation canceled") \
  X(ECHILD, "No child processes") \
  X(ECONNABORTED, "Software caused connection abort") \
  X(ECONNREFUSED, "Connection refused") \
  X(ECONNRESET, "Connection reset by peer") \
  X(EDEADLK, "Resource deadlock avoided") \
  X(EDESTADDRREQ, "Destination address required") \
  X(EDOM, "Numerical argument out of domain") \
  X(EDQUOT, "Disk quota exceeded") \
  X(EEXIST, "File exists") \
  X(EFAULT, "Bad address") \
  X(EFBIG, "File too large") \
  X(EHOSTUNREACH, "No route to host") \
  X(EIDRM, "Identifier removed") \
  X(EILSEQ, "Invalid or incomplete multibyte or wide character") \
  X(EINPROGRESS, "Operation now in progress") \
  X(EINTR, "Interrupted system call") \
  X(EINVAL, "Invalid argument") \
  X(EIO, "Input/output error") \
  X(EISCONN, "Transport endpoint is already connected") \
  X(EISDIR, "Is a directory") \
  X(ELOOP, "Too many levels of symbolic links") \
  X(EMFILE, "Too many open files") \
  X(EMLINK, "Too many links") \
  X(EMSGSIZE, "Message too long") \
  X(EMULTIHOP, "Multihop attempted") \
  X(ENAMETOOLONG, "File name too long") \
  X(ENETDOWN, "Network is down") \
  X(ENETRESET, "Network dropped connection on reset") \
  X(ENETUNREACH, "Network is unreachable") \
  X(ENFILE, "Too many open files in system") \
  X(ENOBUFS, "No buffer space available") \
  X(ENODEV, "No such device") \
  X(ENOENT, "No such file or directory") \
  X(ENOEXEC, "Exec format error") \
  X(ENOLCK, "No locks available") \
  X(ENOLINK, "Link has been severed") \
  X(ENOMEM, "Cannot allocate memory") \
  X(ENOMSG, "No message of desired type") \
  X(ENOPROTOOPT, "Protocol not available") \
  X(ENOSPC, "No space left on device") \
  X(ENOSYS, "Function not implemented") \
  X(ENOTCONN, "Transport endpoint is not connected") \
  X(ENOTDIR, "Not a directory") \
  X(ENOTEMPTY, "Directory not empty") \
  X(ENOTRECOVERABLE, "State not recoverable") \
  X(ENOTSOCK, "Socket operation on non-socket") \
  X(ENOTSUP, "Operation not supported") \
  X(ENOTTY, "Inappropriate ioctl for device") \
  X(ENXIO, "No such device or address") \
  X(EOVERFLOW, "Value too large for defined data type") \
  X(EOWNERDEAD, "Owner died") \
  X(EPERM, "Operation not permitted") \
  X(EPIPE, "Broken pipe") \
  X(EPROTO, "Protocol error") \
  X(EPROTONOSUPPORT, "Protocol not supported") \
  X(EPROTOTYPE, "Protocol wrong type for socket") \
  X(ERANGE, "Numerical result out of range") \
  X(EROFS, "Read-only file system") \
  X(ESPIPE, "Illegal seek") \
  X(ESRCH, "No such process") \
  X(ESTALE, "Stale file handle") \
  X(ETIMEDOUT, "Connection timed out") \
  X(ETXTBSY, "Text file busy") \
  X(EXDEV, "Invalid cross-device link")

char* __wrap_strerror(int errnum) {
  switch (errnum) {
#define WORDS(name, words) \
  case name:               \
    return (char*)words;
    LINUX_WORDS(WORDS)
#undef WORDS
    case ENOTCAPABLE: /* Python sees EACCES, as Linux gives for a path it may not reach */
      return (char*)"Permission denied";
    default:
      return __real_strerror(errnum);
  }
}
