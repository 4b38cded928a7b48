/*
 * Signals. SIGINT, SIGTERM and SIGHUP are blocked in every thread and taken
 * by one thread of ours with sigwait, so what they do may call into the
 * library (pyodide_interrupt is not async-signal-safe) and no thread of the
 * library is ever interrupted by them.
 *
 *   SIGINT   during a call: the first raises KeyboardInterrupt in Python
 *            (pyodide_interrupt); a second one before the call ends stops
 *            the process (the library raises one KeyboardInterrupt per call,
 *            so Python cannot be asked again). At the prompt: wakes it to
 *            discard the line. Otherwise (starting up): ends the process.
 *   SIGTERM, during a call: interrupts it and lets main clean up (the runtime's
 *   SIGHUP   home directory, the terminal) and end by the signal, or ends
 *            the process after a grace period. At the prompt: wakes it.
 *
 * During a call each of them first goes to Python, as the system's goes to
 * python3's: when Python has a handler of its own for it (signal.signal), or
 * ignores it (signal.SIG_IGN), that is all (pyodide_signal), every time.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* How long a terminating call may take to unwind before the process ends. */
#define TERMINATE_GRACE_S 2

typedef enum { STATE_IDLE, STATE_CALL, STATE_INPUT } state_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t call_ended = PTHREAD_COND_INITIALIZER;
static state_t state = STATE_IDLE;
static state_t state_before_call; /* a call may come while the prompt waits (completion) */
static pyodide_t* call_runtime;
static int call_interrupts;
static volatile sig_atomic_t terminating;
static int wake_pipe[2] = {-1, -1};
static sigset_t handled;
static struct termios terminal;
static bool terminal_saved;

void signals_save_terminal(void) { terminal_saved = tcgetattr(0, &terminal) == 0; }

/* Writes a message with write(2): stdio's locks may be held by the main thread. */
static void say(const char* message) {
  ssize_t n = write(2, message, strlen(message));
  (void)n; /* nowhere to report a failure */
}

_Noreturn void signals_exit(int sig) {
  if (terminal_saved) tcsetattr(0, TCSANOW, &terminal);
  if (resident_server()) resident_end_by_signal(sig);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, NULL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, NULL);
  raise(sig); /* to this thread, which no longer blocks it: the process ends */
  _exit(128 + sig);
}

/* A wake-up's byte: the signal's number; with SOFT_WAKE, one delivered to a
   handler of Python's own, which a read of stdin returns for (the library then
   runs the handler and reads again) only while it is waiting: one left from
   before the wait is dropped. */
#define SOFT_WAKE 0x80

static void wake_input(int sig) {
  char c = (char)sig;
  ssize_t n = write(wake_pipe[1], &c, 1);
  (void)n; /* a full pipe already holds a wake-up */
}

/* During a call, with the lock held: offers `sig` to Python as the system
   offers it to python3's. True when Python takes it (its own handler, which
   then runs, or SIG_IGN), so nothing more is done. */
static bool python_takes(pyodide_t* rt, int sig) {
  pyodide_signal_action_t action = PYODIDE_SIGNAL_DEFAULT;
  pyodide_error_t* err = pyodide_signal(rt, sig, &action);
  if (err != NULL) {
    pyodide_error_delete(err); /* only for a dead runtime: the call is ending anyway */
    return false;
  }
  if (action == PYODIDE_SIGNAL_HANDLED) wake_input(sig | SOFT_WAKE); /* ends a wait for stdin */
  return action != PYODIDE_SIGNAL_DEFAULT;
}

static void on_sigint(void) {
  pthread_mutex_lock(&lock);
  state_t s = state;
  if (s == STATE_CALL && python_takes(call_runtime, SIGINT)) {
    pthread_mutex_unlock(&lock);
    return;
  }
  int earlier = s == STATE_CALL ? call_interrupts++ : 0;
  pyodide_t* rt = call_runtime;
  pthread_mutex_unlock(&lock);
  if (s == STATE_INPUT) {
    wake_input(SIGINT);
  } else if (s == STATE_CALL && earlier == 0) {
    pyodide_error_t* err = pyodide_interrupt(rt);
    pyodide_error_delete(err); /* only for a dead runtime: the call is ending anyway */
    wake_input(SIGINT); /* ends a wait for stdin inside the call (python_stdin) */
  } else {
    if (s == STATE_CALL) say("\nKeyboardInterrupt ignored: stopping the program hard\n");
    signals_exit(SIGINT);
  }
}

static void on_terminate(int sig) {
  pthread_mutex_lock(&lock);
  state_t s = state;
  if (s == STATE_CALL && python_takes(call_runtime, sig)) {
    pthread_mutex_unlock(&lock);
    return;
  }
  terminating = sig;
  /* Whether a run has started that main will end (a resident server between
     runs has none, whatever the last one left). */
  bool started = call_runtime != NULL && (!resident_server() || resident_serving());
  if (s == STATE_CALL) {
    pyodide_t* rt = call_runtime;
    pthread_mutex_unlock(&lock);
    pyodide_error_delete(pyodide_interrupt(rt));
    pthread_mutex_lock(&lock);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += TERMINATE_GRACE_S;
    while (state == STATE_CALL) {
      if (pthread_cond_timedwait(&call_ended, &lock, &deadline) == ETIMEDOUT) break;
    }
    s = state;
  }
  pthread_mutex_unlock(&lock);
  if (s == STATE_INPUT) wake_input(sig);
  /* A call that ignores the interrupt, or a signal while starting up: end
     now. Otherwise main sees `terminating` after the call and cleans up. */
  else if (s == STATE_CALL || !started) signals_exit(sig);
}

static void* signal_thread(void* arg) {
  (void)arg;
  for (;;) {
    int sig;
    if (sigwait(&handled, &sig) != 0) continue;
    if (sig == SIGINT) on_sigint();
    else on_terminate(sig);
  }
  return NULL;
}

bool signals_start(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  sigemptyset(&handled);
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
    /* A signal our parent ignores stays ignored, as python3 leaves it (a
       background job in a script ignores SIGINT). */
    struct sigaction old;
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaddset(&handled, sigs[i]);
  }
  if (pthread_sigmask(SIG_BLOCK, &handled, NULL) != 0) return false;
  if (pipe(wake_pipe) != 0) return false;
  /* Non-blocking, so that a stale wake-up can be drained (drain_wakeups). */
  fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK);
  pthread_t thread;
  if (pthread_create(&thread, NULL, signal_thread, NULL) != 0) return false;
  pthread_detach(thread);
  return true;
}

/* Drops wake-ups meant for an earlier wait (a Ctrl-C during a call that did
   not read stdin). Called with the lock held, as the state changes. */
static void drain_wakeups(void) {
  char buf[64];
  while (read(wake_pipe[0], buf, sizeof buf) > 0) continue;
}

bool signals_wait_input(int* sig) {
  /* A soft wake-up already there came before this wait: its handler has run
     or runs at Python's next check. */
  pthread_mutex_lock(&lock);
  char c;
  bool hard = false;
  while (!hard && read(wake_pipe[0], &c, 1) == 1) hard = !((unsigned char)c & SOFT_WAKE);
  pthread_mutex_unlock(&lock);
  if (hard) {
    *sig = (unsigned char)c;
    return false;
  }
  for (;;) {
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = wake_pipe[0], .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return true; /* let the read report it */
    }
    if (fds[1].revents & POLLIN) {
      if (read(wake_pipe[0], &c, 1) == 1) {
        *sig = (unsigned char)c & ~SOFT_WAKE;
        return false;
      }
    }
    if (fds[0].revents != 0) return true;
  }
}

void signals_enter_call(pyodide_t* runtime) {
  pthread_mutex_lock(&lock);
  drain_wakeups();
  state_before_call = state;
  state = STATE_CALL;
  call_runtime = runtime;
  call_interrupts = 0;
  pthread_mutex_unlock(&lock);
}

int signals_leave_call(void) {
  pthread_mutex_lock(&lock);
  state = state_before_call;
  int n = call_interrupts;
  pthread_cond_broadcast(&call_ended);
  pthread_mutex_unlock(&lock);
  return n;
}

void signals_enter_input(void) {
  pthread_mutex_lock(&lock);
  drain_wakeups();
  state = STATE_INPUT;
  pthread_mutex_unlock(&lock);
}

void signals_leave_input(void) {
  pthread_mutex_lock(&lock);
  state = STATE_IDLE;
  pthread_mutex_unlock(&lock);
}

int signals_terminating(void) { return terminating; }

void signals_reset(void) {
  pthread_mutex_lock(&lock);
  drain_wakeups();
  state = STATE_IDLE;
  call_runtime = NULL;
  call_interrupts = 0;
  terminating = 0;
  terminal_saved = false;
  pthread_mutex_unlock(&lock);
}
