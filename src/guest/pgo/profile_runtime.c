/* The counting half of profile-guided optimisation for python.wasm.
 *
 * clang's -fprofile-generate compiles counters into every function and, on
 * WebAssembly, a constructor per translation unit that hands this runtime the
 * unit's per-function records (__llvm_profile_register_function) and its
 * function names (__llvm_profile_register_names_function). LLVM's own runtime
 * for this (compiler-rt's libclang_rt.profile) is not built for wasm32 by any
 * Debian package, so the build links this one instead: it remembers where the
 * records, counters and names lie in linear memory and writes them as an LLVM
 * raw profile (the layout InstrProfData.inc, installed with clang, describes),
 * which llvm-profdata merges into the profile the optimised build reads.
 *
 * The linker puts each kind of record in one data segment of its own, so the
 * records, the counters and the names each form one contiguous region: the
 * lowest and highest addresses registered bound it. Value profiling is off
 * (-mllvm -disable-vp), so no record carries value sites.
 *
 * Only the instrumented build links this file; python.wasm never does.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Once plainly, for the format's constants (magic numbers, version bits). */
#include <profile/InstrProfData.inc>

typedef uint32_t IntPtrT; /* wasm32 */

/* The kinds of value profile (the records' value-site counts are per kind). */
typedef enum {
#define VALUE_PROF_KIND(Enumerator, Value, Descr) Enumerator = Value,
#include <profile/InstrProfData.inc>
} pyn_value_kind;

/* One function's record, as the compiler lays it out. */
typedef struct __attribute__((aligned(8))) {
#define INSTR_PROF_DATA(Type, LLVMType, Name, Initializer) Type Name;
#include <profile/InstrProfData.inc>
} pyn_profile_record;

/* Referenced by every instrumented unit so that a runtime gets linked. */
int __llvm_profile_runtime;

/* Defined by the compiler in each unit: the raw format version and its variant bits. */
extern const uint64_t __llvm_profile_raw_version;

static const char* records_first;
static const char* records_end;
static const char* counters_first;
static const char* counters_end;
static const char* names_first;
static const char* names_end;

void __llvm_profile_register_function(void* data)
{
  const pyn_profile_record* record = data;
  const char* at = data;
  /* The counter pointer is relative to the record's own address. */
  const char* counters = at + (int32_t)record->CounterPtr;
  const char* counters_stop = counters + (size_t)record->NumCounters * sizeof(uint64_t);
  if (!records_first || at < records_first) records_first = at;
  if (!records_end || at + sizeof *record > records_end) records_end = at + sizeof *record;
  if (!counters_first || counters < counters_first) counters_first = counters;
  if (!counters_end || counters_stop > counters_end) counters_end = counters_stop;
}

void __llvm_profile_register_names_function(void* names, uint64_t size)
{
  const char* first = names;
  if (!names_first || first < names_first) names_first = first;
  if (!names_end || first + size > names_end) names_end = first + size;
}

static int write_all(FILE* out, const void* bytes, size_t size)
{
  return size == 0 || fwrite(bytes, 1, size, out) == size ? 0 : -1;
}

static int write_zeros(FILE* out, size_t count)
{
  static const char zeros[8];
  return write_all(out, zeros, count);
}

static size_t padding_to_8(size_t size)
{
  return (8 - size % 8) % 8;
}

/* Writes the counts so far to `path` as an LLVM raw profile. Returns 0, or -1
 * with errno set: EINVAL if nothing was registered (the build is not
 * instrumented), else why the file could not be written. */
int pyn_profile_write(const char* path)
{
  if (!records_first || !names_first) {
    errno = EINVAL;
    return -1;
  }
  uint64_t record_count = (uint64_t)(records_end - records_first) / sizeof(pyn_profile_record);
  uint64_t counter_count = (uint64_t)(counters_end - counters_first) / sizeof(uint64_t);
  uint64_t names_size = (uint64_t)(names_end - names_first);
  uint64_t records_size = record_count * sizeof(pyn_profile_record);

  const char* DataBegin = records_first;
  const char* CountersBegin = counters_first;
  const char* BitmapBegin = counters_first; /* no bitmap bytes: the same as CountersBegin */
  const char* NamesBegin = names_first;
  uint64_t NumData = record_count, NumCounters = counter_count, NamesSize = names_size;
  uint64_t NumBitmapBytes = 0, NumVTables = 0, VNamesSize = 0;
  uint64_t PaddingBytesBeforeCounters = padding_to_8(records_size);
  uint64_t PaddingBytesAfterCounters = 0; /* counters are 8 bytes each */
  uint64_t PaddingBytesAfterBitmapBytes = 0;
#define __llvm_profile_get_magic() (sizeof(IntPtrT) == 4 ? (INSTR_PROF_RAW_MAGIC_32) : (INSTR_PROF_RAW_MAGIC_64))
#define __llvm_profile_get_version() __llvm_profile_raw_version
#define __llvm_write_binary_ids(x) 0
  /* The deltas are differences of wasm32 pointers (uintptr_t), as the reader expects. */
  const uint64_t header[] = {
#define INSTR_PROF_RAW_HEADER(Type, Name, Initializer) (uint64_t)(Initializer),
#include <profile/InstrProfData.inc>
  };
#undef __llvm_profile_get_magic
#undef __llvm_profile_get_version
#undef __llvm_write_binary_ids

  FILE* out = fopen(path, "wb");
  if (!out) return -1;
  int rc = write_all(out, header, sizeof header);
  rc |= write_all(out, records_first, records_size);
  rc |= write_zeros(out, PaddingBytesBeforeCounters);
  rc |= write_all(out, counters_first, counter_count * sizeof(uint64_t));
  rc |= write_all(out, names_first, names_size);
  rc |= write_zeros(out, padding_to_8(names_size));
  rc |= fclose(out);
  return rc ? -1 : 0;
}
