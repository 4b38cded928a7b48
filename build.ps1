#Requires -Version 7.0
<#
.SYNOPSIS
  build.ps1 - builds Pyodide.Native and runs its tests, on Windows (x64) and Linux (x64).
  The PowerShell counterpart of build.sh: same subcommands, same steps; keep the two in step
  (`./build.sh test` runs `build.ps1 build` on Linux and compares its products with build.sh's).

.DESCRIPTION
  ./build.ps1 [build]  deps -> managed -> native -> guest (its profile is trained with the
                       native pyodide-run) -> snapshot -> header check
  ./build.ps1 run      build, then run src/pyodide-run/sample.py with out/bin/pyodide-run
                       (on Windows: examples/dotnet, Python through the library)
  ./build.ps1 test     build, then every test suite (time-limited); the last line is
                       "N passed, N failed[, N skipped][, N suites broken]"
  ./build.ps1 bench    build, then the benchmarks (bench/): writes bench/results/latest.md
  ./build.ps1 cpython-tests   build, then CPython's whole Lib/test natively and in the
                       sandbox (Linux only; cpython-tests/run.sh): writes docs/cpython-tests.md
  ./build.ps1 clean    remove out/ and build/ (the guest cache stays)
  ./build.ps1 install PREFIX   build, then install the library, header, assets,
                       pkg-config and CMake files into PREFIX (out/ has the same layout)

  -OutDir DIR and -BuildDir DIR put the products and the intermediate files
  elsewhere than out/ and build/ (the dotnet obj/ folders under src/ and the
  guest cache are shared all the same).

  Products on Linux, as build.sh's: out/lib/libpyodide.so + libwasmtime.so,
  out/lib/pyodide/ (python.wasm and the stdlib), out/include/pyodide.h,
  out/bin/pyodide-run, out/lib/pkgconfig/pyodide.pc, out/lib/cmake/Pyodide/.

  Products on Windows: out\bin\pyodide.dll + wasmtime.dll (beside the programs
  that use them, where Windows looks for DLLs), out\lib\pyodide.lib (import
  library), out\lib\pyodide\ and its copy out\bin\pyodide\ (the runtime finds
  its assets in a pyodide\ folder beside the library), out\include\pyodide.h,
  out\lib\pkgconfig\pyodide.pc and out\lib\cmake\Pyodide\. No pyodide-run: it is
  written against POSIX and Linux (terminal, signals, the resident process) and
  has no Windows port; nor do the C tests under native-tests/ and the C
  benchmark, which use POSIX processes. This script's Windows path has not been
  run on these machines.
  Both layouts are relocatable install prefixes (find_package(Pyodide)).

  The guest (python.wasm) is built by src/guest/build-guest.sh, which needs
  Debian's clang-19/wasi-libc and source packages: on Linux it runs directly,
  on Windows in WSL (a Debian 12 distribution), through `wsl bash`. Its output
  is platform-independent, so instead a guest built elsewhere can be put in
  out/lib/pyodide and the step skipped with $env:PYODIDE_SKIP_GUEST = "1".
  Training the guest's profile takes a Linux pyodide-run, so in WSL python.wasm
  is built without profile-guided optimisation unless the WSL cache already
  holds a profile (a Linux build there trains one).

  On Windows, run from a "Developer PowerShell for VS": NativeAOT links with
  MSVC, and lib.exe makes the import library.
#>
param(
  [string]$Command = "build",
  [string]$Prefix = "",
  [string]$OutDir = "",
  [string]$BuildDir = ""
)

Set-StrictMode -Version Latest
$ErrorActionPreference = "Stop"

$Root = $PSScriptRoot
# Relative to where the script was started from, as a person typing them means.
$Out = if ($OutDir) { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutDir) } else { Join-Path $Root "out" }
$Build = if ($BuildDir) { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($BuildDir) } else { Join-Path $Root "build" }
$Logs = Join-Path $Build "logs"
$Config = "Release"
$Sln = Join-Path $Root "Pyodide.Native.sln"
$DotnetMin = 10
$env:DOTNET_CLI_TELEMETRY_OPTOUT = "1"
$env:DOTNET_NOLOGO = "1"
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = "1"
Set-Location $Root

# What differs between the platforms, named once: the RID, what NativeAOT's
# publish writes, and where each product goes in out/ (relative paths).
if ($IsWindows) {
  $Rid = "win-x64"
  $ExeSuffix = ".exe"
  $Published = @{ Library = "Pyodide.Native.dll"; Wasmtime = "wasmtime.dll" }
  $Products = @{ Library = "bin/pyodide.dll"; Wasmtime = "bin/wasmtime.dll"; Assets = "bin/pyodide" }
} else {
  $Rid = "linux-x64"
  $ExeSuffix = ""
  $Published = @{ Library = "Pyodide.Native.so"; Wasmtime = "libwasmtime.so" }
  $Products = @{ Library = "lib/libpyodide.so"; Wasmtime = "lib/libwasmtime.so"; Assets = "lib/pyodide" }
}
# pyodide-run is POSIX-only (src/pyodide-run/CMakeLists.txt): a Linux product.
if (-not $IsWindows) { $Products.Run = "bin/pyodide-run" }

# Debian packages on Linux, the same list as build.sh's APT_PACKAGES (the
# build.ps1 suite of `./build.sh test` checks that they agree): the guest
# toolchain (build-guest.sh checks its own part again), the native C programs
# and the header check.
$AptPackages = @(
  "clang-19", "lld-19", "llvm-19", "wasi-libc", "libclang-rt-19-dev-wasm32",
  "python3", "python3.11", "tcl", "dpkg-dev", "xz-utils", "bzip2",
  "cmake", "gcc", "libc6-dev", "make", "binutils", "zip", "unzip", "patch",
  "libclang-rt-19-dev",
  "libedit-dev", "tmux" # pyodide-run: the REPL's line editing; its terminal test
)

function Say([string]$Message) { Write-Host "[build] $Message" }
# Fail throws; the top level prints the message and exits 1 (and "test" still
# prints its summary line when the build fails).
function Fail([string]$Message) { throw "[build] ERROR: $Message" }

# Logged NAME DESCRIPTION { script }: runs the script block with its output in
# build/logs/NAME.log; on failure prints the log's tail and stops.
function Logged([string]$Name, [string]$Description, [scriptblock]$Action) {
  New-Item -ItemType Directory -Force -Path $Logs | Out-Null
  $log = Join-Path $Logs "$Name.log"
  $sw = [Diagnostics.Stopwatch]::StartNew()
  Write-Host -NoNewline "[build] $Description ... "
  $global:LASTEXITCODE = 0
  try {
    & $Action *> $log
    $rc = $global:LASTEXITCODE
  } catch {
    $_ | Out-File -Append $log
    $rc = 1
  }
  if ($rc -ne 0) {
    Write-Host "failed"
    Write-Host "[build] ---- last lines of $log ----"
    Get-Content $log -Tail 60 | Write-Host
    Fail "$Description failed (exit $rc); full log: $log"
  }
  Write-Host ("{0} s" -f [int]$sw.Elapsed.TotalSeconds)
}

function Copy-IfChanged([string]$Source, [string]$Destination) {
  if ((Test-Path $Destination) -and
      ((Get-FileHash $Source).Hash -eq (Get-FileHash $Destination).Hash)) { return }
  Copy-Item -Force $Source $Destination
}

# --- steps -------------------------------------------------------------------------
function Step-Deps {
  if (-not ($IsWindows -or $IsLinux)) { Fail "only Windows and Linux (x64) are supported" }
  if ($IsLinux) {
    & bash (Join-Path $Root "src/guest/ensure-packages.sh") @AptPackages
    if ($LASTEXITCODE -ne 0) { Fail "installing the Debian packages failed (src/guest/ensure-packages.sh)" }
  }
  if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    Fail "the .NET SDK is not installed: install .NET $DotnetMin or newer (https://dot.net)"
  }
  $version = (& dotnet --version).Trim()
  if ([int]($version.Split(".")[0]) -lt $DotnetMin) { Fail ".NET SDK $version found, $DotnetMin or newer is needed" }
  foreach ($tool in "cmake", "ctest") {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { Fail "$tool not found: install CMake" }
  }
  if ($IsWindows) {
    if (-not (Get-Command lib.exe -ErrorAction SilentlyContinue)) {
      Fail "lib.exe not found: run from a Developer PowerShell for Visual Studio (C++ build tools)"
    }
    if ($env:PYODIDE_SKIP_GUEST -ne "1" -and -not (Get-Command wsl -ErrorAction SilentlyContinue)) {
      Fail "WSL not found: the guest build needs WSL with Debian 12 (or set PYODIDE_SKIP_GUEST=1 with a prebuilt out\lib\pyodide)"
    }
  }
}

# src/guest/build-guest.sh writes into $Out/lib/pyodide (PYODIDE_OUT) and
# $Build/guest (PYODIDE_BUILD); it installs its Debian packages itself (apt,
# as root or sudo).
function Step-Guest {
  $assets = Join-Path $Out "lib/pyodide"
  if ($env:PYODIDE_SKIP_GUEST -eq "1") {
    if (-not (Test-Path (Join-Path $assets "python.wasm"))) {
      Fail "PYODIDE_SKIP_GUEST=1 but $assets/python.wasm is missing"
    }
    Say "guest: using the prebuilt $assets"
    return
  }
  if ($IsWindows) {
    # Windows only: the script runs in WSL, which sees the folders under /mnt.
    $wsl = @($Root, $Out, $Build) | ForEach-Object { (& wsl wslpath -a ($_ -replace "\\", "/")).Trim() }
    & wsl bash -c "cd '$($wsl[0])' && PYODIDE_OUT='$($wsl[1])' PYODIDE_BUILD='$($wsl[2])' ./src/guest/build-guest.sh"
    if ($LASTEXITCODE -ne 0) { Fail "the guest build (src/guest/build-guest.sh in WSL) failed" }
    return
  }
  $saved = $env:PYODIDE_OUT, $env:PYODIDE_BUILD
  $env:PYODIDE_OUT = $Out; $env:PYODIDE_BUILD = $Build
  try { & bash (Join-Path $Root "src/guest/build-guest.sh") }
  finally { $env:PYODIDE_OUT, $env:PYODIDE_BUILD = $saved }
  if ($LASTEXITCODE -ne 0) { Fail "the guest build (src/guest/build-guest.sh) failed" }
}

# Every project under src/ and bench/ belongs to the solution: add the missing ones.
function Step-Solution {
  if (-not (Test-Path $Sln)) {
    Logged "sln-new" "create Pyodide.Native.sln" { dotnet new sln --format sln -n Pyodide.Native -o $Root }
  }
  $listed = (& dotnet sln $Sln list) | ForEach-Object { $_.Trim() -replace "\\", "/" }
  $projects = foreach ($dir in "src", "bench") {
    if (Test-Path (Join-Path $Root $dir)) {
      Get-ChildItem -Recurse -Filter *.csproj (Join-Path $Root $dir) |
        Where-Object { $_.FullName -notmatch "[\\/](bin|obj)[\\/]" }
    }
  }
  foreach ($p in ($projects | Sort-Object FullName)) {
    $rel = [IO.Path]::GetRelativePath($Root, $p.FullName) -replace "\\", "/"
    if ($listed -notcontains $rel) {
      Logged "sln-add" "add $rel to Pyodide.Native.sln" { dotnet sln $Sln add $rel }
    }
  }
}

function Step-Managed {
  $proj = Join-Path $Root "src/Pyodide.Native/Pyodide.Native.csproj"
  $pub = Join-Path $Build "native-publish"
  if (-not (Test-Path $proj)) { Fail "$proj not found" }
  Logged "managed" "dotnet publish Pyodide.Native (NativeAOT, $Rid)" {
    dotnet publish $proj -c $Config -r $Rid -o $pub --nologo
  }
  foreach ($key in "Library", "Wasmtime") {
    $file = Join-Path $pub $Published[$key]
    if (-not (Test-Path $file)) { Fail "the publish produced no $file" }
    New-Item -ItemType Directory -Force -Path (Split-Path (Join-Path $Out $Products[$key])) | Out-Null
    Copy-IfChanged $file (Join-Path $Out $Products[$key])
  }
  New-Item -ItemType Directory -Force -Path (Join-Path $Out "include") | Out-Null
  Copy-IfChanged (Join-Path $Root "include/pyodide.h") (Join-Path $Out "include/pyodide.h")
  if (-not $IsWindows) { return }
  # Windows only. The runtime looks for its assets in a pyodide\ folder beside
  # the library: the DLL lives in bin\, so the guest goes there too.
  $assets = Join-Path $Out $Products.Assets
  if (Test-Path $assets) { Remove-Item -Recurse -Force $assets }
  Copy-Item -Recurse (Join-Path $Out "lib\pyodide") $assets
  # The import library NativeAOT writes names Pyodide.Native.dll; make one for
  # pyodide.dll from the exports the header declares (the header check below
  # proves they are exactly the DLL's).
  $def = Join-Path $Build "pyodide.def"
  (@("LIBRARY pyodide", "EXPORTS") + (Get-DeclaredFunctions | ForEach-Object { "  $_" })) |
    Set-Content -Encoding ascii $def
  Logged "implib" "import library out\lib\pyodide.lib" {
    lib.exe /nologo /machine:x64 "/def:$def" ("/out:" + (Join-Path $Out "lib\pyodide.lib"))
  }
}

function Build-CMakeProject([string]$Name, [string]$Source) {
  $dir = Join-Path $Build "cmake/$Name"
  Logged "cmake-$Name" "cmake $Name" {
    cmake -S $Source -B $dir "-DPYODIDE_ROOT=$Out" "-DPYODIDE_INCLUDE=$(Join-Path $Root 'include')"
    if ($LASTEXITCODE -eq 0) { cmake --build $dir --config $Config --parallel 2 }
  }
}

function Step-Native {
  $runSrc = Join-Path $Root "src/pyodide-run"
  $run = Join-Path $Out $Products.Run
  if (-not (Test-Path (Join-Path $runSrc "CMakeLists.txt"))) { Fail "src/pyodide-run/CMakeLists.txt not found" }
  Build-CMakeProject "pyodide-run" $runSrc
  if ($IsWindows) {
    Say "pyodide-run, native-tests and bench/c are POSIX-only: on Windows only the snapshot tool is built"
    return
  }
  Logged "install-pyodide-run" "install $run" {
    cmake --install (Join-Path $Build "cmake/pyodide-run") --config $Config --prefix $Out
  }
  if (-not (Test-Path $run)) { Fail "$run was not installed" }
  if (Test-Path (Join-Path $Root "native-tests/CMakeLists.txt")) {
    Build-CMakeProject "native-tests" (Join-Path $Root "native-tests")
  } else {
    Say "no native-tests/CMakeLists.txt: skipped"
  }
  # Compiled by every build (so it cannot rot), run only by `./build.ps1 bench`.
  # (`./build.ps1 test` compiles the BenchmarkDotNet project: Test-BenchCompiles.)
  if (Test-Path (Join-Path $Root "bench/c/CMakeLists.txt")) {
    Build-CMakeProject "bench" (Join-Path $Root "bench/c")
  }
}

# The built-in snapshot, lib/pyodide/python.snapshot (as build.sh's step_snapshot):
# a runtime that has just started, saved by the library; baked again only when
# python.wasm, the library or lib/ changed.
function Step-Snapshot {
  $assets = Join-Path $Out $Products.Assets
  $snapshot = Join-Path $assets "python.snapshot"
  $keyFile = Join-Path $Build "python.snapshot.key"
  $library = Join-Path $Out $Products.Library
  # The snapshot holds modules imported from lib/ (the helper package): their files are inputs too.
  $lib = Join-Path $assets "lib"
  $listing = Get-ChildItem -Recurse -File $lib | Sort-Object { $_.FullName.Substring($lib.Length).Replace('\', '/') } -Culture "" |
    ForEach-Object { $_.FullName.Substring($lib.Length).Replace('\', '/') + " " + (Get-FileHash -Algorithm SHA256 $_.FullName).Hash }
  $bytes = [IO.File]::ReadAllBytes((Join-Path $assets "python.wasm.sha256")) + [IO.File]::ReadAllBytes($library) +
    [Text.Encoding]::UTF8.GetBytes(($listing -join "`n"))
  $key = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant()
  if ((Test-Path $snapshot) -and (Test-Path $keyFile) -and ((Get-Content -Raw $keyFile).Trim() -eq $key)) {
    Say "built-in snapshot: up to date"
    return
  }
  Remove-Item -Force -ErrorAction SilentlyContinue $keyFile
  $tool = Join-Path $Build "cmake/pyodide-run/pyodide-bake-snapshot$ExeSuffix"
  if (-not (Test-Path $tool)) { $tool = Join-Path $Build "cmake/pyodide-run/$Config/pyodide-bake-snapshot$ExeSuffix" }
  Logged "bake-snapshot" "bake $snapshot" { & $tool $snapshot }
  if (-not (Update-SnapshotStamp $snapshot)) { Fail "pyodide-run -c pass failed with the new snapshot" }
  Set-Content -NoNewline -Encoding ascii $keyFile $key
}

# The pyodide_/pyproxy_/pybuffer_ functions include/pyodide.h declares
# (the same parsing as build.sh's header check).
function Get-DeclaredFunctions {
  $text = Get-Content -Raw (Join-Path $Root "include/pyodide.h")
  $text = [regex]::Replace($text, "/\*.*?\*/", " ", "Singleline")
  $text = [regex]::Replace($text, "//[^\n]*", " ")
  $text = [regex]::Replace($text, "(?m)^\s*#[^\n]*(\\\n[^\n]*)*", " ")
  $names = foreach ($m in [regex]::Matches($text, "\b((?:pyodide|pyproxy|pybuffer)_[A-Za-z0-9_]*)\s*\(")) {
    $before = $text.Substring(0, $m.Index).TrimEnd()
    if ($before.EndsWith("(*") -or $before.EndsWith("*)") -or $before.EndsWith("typedef")) { continue }
    $m.Groups[1].Value
  }
  $names | Sort-Object -Unique
}

# The pyodide_/pyproxy_/pybuffer_ functions the library exports.
function Get-ExportedFunctions {
  $library = Join-Path $Out $Products.Library
  if ($IsWindows) {
    $names = & dumpbin.exe /nologo /exports $library | ForEach-Object {
      if ($_ -match "^\s+\d+\s+[0-9A-Fa-f]+\s+[0-9A-Fa-f]+\s+((?:pyodide|pyproxy|pybuffer)_\w*)") { $Matches[1] }
    }
  } else {
    # "ADDRESS T NAME[@VERSION]" per defined dynamic symbol.
    $names = & nm -D --defined-only $library | ForEach-Object {
      $name = ($_ -split "\s+")[-1] -replace "@.*", ""
      if ($name -match "^(pyodide|pyproxy|pybuffer)_") { $name }
    }
  }
  if ($LASTEXITCODE -ne 0) { Fail "cannot list the exports of $library" }
  $names | Sort-Object -Unique
}

# include/pyodide.h must declare exactly the functions the library exports.
function Step-CheckHeader {
  $declared = @(Get-DeclaredFunctions)
  $exported = @(Get-ExportedFunctions)
  $library = Split-Path -Leaf $Products.Library
  $diff = Compare-Object $declared $exported
  if ($diff) {
    Say "include/pyodide.h and $library disagree:"
    foreach ($d in $diff) {
      if ($d.SideIndicator -eq "<=") { Write-Host "  declared in pyodide.h, not exported: $($d.InputObject)" }
      else { Write-Host "  exported, not declared in pyodide.h: $($d.InputObject)" }
    }
    Fail "header check failed"
  }
  Say "header check: $($exported.Count) functions, pyodide.h matches $library"
}

# The version the library reports (read in a child process, so that on Windows
# this one does not keep the DLL loaded and locked).
$script:LibraryVersion = ""
function Get-LibraryVersion {
  if ($script:LibraryVersion) { return $script:LibraryVersion }
  $library = Join-Path $Out $Products.Library
  $code = @'
Add-Type -TypeDefinition @"
using System; using System.Runtime.InteropServices;
public static class PyodideVersionReader {
  [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr VersionFn();
  public static string Read(string path) {
    var lib = NativeLibrary.Load(path);
    var fn = Marshal.GetDelegateForFunctionPointer<VersionFn>(NativeLibrary.GetExport(lib, "pyodide_version"));
    return Marshal.PtrToStringUTF8(fn());
  }
}
"@
[PyodideVersionReader]::Read('LIBRARY')
'@
  # -Command takes one script, so the path goes into it as a quoted literal.
  $code = $code.Replace("LIBRARY", $library.Replace("'", "''"))
  $version = (& pwsh -NoProfile -NonInteractive -Command $code | Select-Object -Last 1)
  if ($LASTEXITCODE -ne 0 -or -not $version) { Fail "cannot read pyodide_version() from $library" }
  $script:LibraryVersion = $version.Trim()
  return $script:LibraryVersion
}

# pkg-config and CMake package files in out/lib, from src/bindings/c/*.in,
# relative to their own location so out/ (or an install of it) can move.
function Step-PackageFiles {
  $templates = Join-Path $Root "src/bindings/c"
  $version = Get-LibraryVersion
  $pcDir = Join-Path $Out "lib/pkgconfig"
  $cmakeDir = Join-Path $Out "lib/cmake/Pyodide"
  New-Item -ItemType Directory -Force -Path $pcDir, $cmakeDir, $Build | Out-Null
  # On Linux programs linked with pkg-config find the library through an rpath
  # (${libdir} is pkg-config's); Windows finds DLLs on PATH.
  $rpath = if ($IsWindows) { "" } else { ' -Wl,-rpath,${libdir}' }
  $pc = (Get-Content -Raw (Join-Path $templates "pyodide.pc.in")).Replace("@VERSION@", $version).Replace(" @RPATH@", $rpath)
  Set-Content -NoNewline -Encoding utf8NoBOM (Join-Path $Build "pyodide.pc") $pc
  Copy-IfChanged (Join-Path $Build "pyodide.pc") (Join-Path $pcDir "pyodide.pc")
  foreach ($f in "PyodideConfig", "PyodideConfigVersion") {
    $text = (Get-Content -Raw (Join-Path $templates "$f.cmake.in")).Replace("@VERSION@", $version)
    Set-Content -NoNewline -Encoding utf8NoBOM (Join-Path $Build "$f.cmake") $text
    Copy-IfChanged (Join-Path $Build "$f.cmake") (Join-Path $cmakeDir "$f.cmake")
  }
  Say "package files: $pcDir/pyodide.pc, $cmakeDir (version $version)"
}

function Invoke-Build {
  $sw = [Diagnostics.Stopwatch]::StartNew()
  Step-Deps
  Step-Solution
  Step-Managed
  Step-Native
  # After the host: the guest's profile-guided build trains with the built pyodide-run.
  Step-Guest
  Step-Snapshot
  Step-CheckHeader
  Step-PackageFiles
  Say ("build done in {0} s" -f [int]$sw.Elapsed.TotalSeconds)
}

# --- test ----------------------------------------------------------------------------
# As in build.sh: every suite that runs a program goes through Invoke-Suite, which
# bounds it in time and counts it the same way. The last line is "N passed, N
# failed", then ", N skipped" and ", N suites broken" when there are any; a broken
# suite did not complete (could not build or start, crashed, timed out, printed
# no count). The exit code is 0 only when nothing failed and no suite broke.
#
# Invoke-Suite NAME TIMEOUT_S FILE ARGUMENTS [-Count { param($log) ... }]
#     [-Details { param($log) ... }] [-Directory DIR]
#   Runs FILE with ARGUMENTS (a program; -Directory sets its working directory,
#   and it inherits $env:) with its output in build\logs\test-NAME.log, for at
#   most TIMEOUT_S seconds (then its process tree is killed: "timed out").
#   By default the program prints each failed check as "not ok - CHECK" with
#   indented details and ends with "N passed, N failed[, N skipped]". -Count
#   returns @(passed, failed, skipped, reason) from the log for other tools
#   (reason: why the suite did not complete, or ""; $null: no count found);
#   -Details returns the lines to show when the suite fails.
$script:Passed = 0
$script:Failed = 0
$script:Skipped = 0
$script:Broken = @()

function Get-SummaryLineCount([string]$Log) {
  $last = Get-Content $Log -Tail 1
  if ($last -match '^(\d+) passed, (\d+) failed(, (\d+) skipped)?$') {
    $skipped = if ($Matches[4]) { [int]$Matches[4] } else { 0 }
    return @([int]$Matches[1], [int]$Matches[2], $skipped, "")
  }
  return $null
}
function Get-NotOkDetails([string]$Log) {
  $show = $false
  Get-Content $Log | ForEach-Object {
    if ($_ -match "^not ok - ") { $show = $true; $_ } elseif ($show -and $_ -match "^  ") { $_ } else { $show = $false }
  }
}

# ARGUMENTS as one command line, quoted as the C runtime (and .NET on Unix) splits
# it again: Start-Process joins an array without quoting.
function Join-Arguments([string[]]$Arguments) {
  ($Arguments | ForEach-Object {
    if ($_ -notmatch '[\s"]' -and $_ -ne '') { $_ }
    else { '"' + (($_ -replace '(\\*)"', '$1$1\"') -replace '(\\+)$', '$1$1') + '"' }
  }) -join ' '
}

function Invoke-Suite([string]$Name, [int]$TimeoutS, [string]$File, [string[]]$Arguments,
                      [scriptblock]$Count = ${function:Get-SummaryLineCount},
                      [scriptblock]$Details = ${function:Get-NotOkDetails}, [string]$Directory = $Root) {
  New-Item -ItemType Directory -Force -Path $Logs | Out-Null
  $log = Join-Path $Logs "test-$Name.log"
  $err = "$log.stderr"
  $sw = [Diagnostics.Stopwatch]::StartNew()
  Write-Host -NoNewline "[test] $Name ... "
  $reason = ""
  try {
    $p = Start-Process -FilePath $File -ArgumentList (Join-Arguments $Arguments) -WorkingDirectory $Directory -NoNewWindow -PassThru `
      -RedirectStandardOutput $log -RedirectStandardError $err
    $null = $p.Handle # (on Windows the exit code is kept only once the handle was taken)
    if (-not $p.WaitForExit($TimeoutS * 1000)) {
      $p.Kill($true)
      $p.WaitForExit()
      $reason = "timed out after $TimeoutS s"
    }
    $rc = $p.ExitCode
  } catch {
    $_ | Out-File -Append $log
    $rc = 1
    $reason = "could not start: $($_.Exception.Message)"
  }
  if (Test-Path $err) { Get-Content $err | Add-Content $log; Remove-Item $err }
  $counts = & $Count $log
  if ($null -eq $counts) { $counts = @(0, 0, 0, "no test count in its output") }
  $passed, $failed, $skipped, $why = $counts
  if ($why) { $reason = if ($reason) { "$reason ($why)" } else { $why } }
  if (-not $reason -and $rc -ne 0 -and $failed -eq 0) { $reason = "exit $rc with no failed test counted" }
  $line = "$passed passed, $failed failed"
  if ($skipped) { $line += ", $skipped skipped" }
  $line += (" ({0} s)" -f [int]$sw.Elapsed.TotalSeconds)
  if ($reason) { $line += "; BROKEN: $reason"; $script:Broken += "${Name}: $reason" }
  Write-Host $line
  $script:Passed += $passed; $script:Failed += $failed; $script:Skipped += $skipped
  if ($rc -ne 0 -or $failed -ne 0 -or $reason) {
    & $Details $log | Select-Object -First 200 | Write-Host
    Say "full output: $log"
  }
}

# dotnet test: the Counters of every .trx it wrote; an aborted run (a crashed or
# hung test host) or a build error is a reason.
$DotnetResults = Join-Path $Build "test-results/dotnet"
function Test-Dotnet {
  if (Test-Path $DotnetResults) { Remove-Item -Recurse -Force $DotnetResults }
  New-Item -ItemType Directory -Force -Path $DotnetResults | Out-Null
  Invoke-Suite dotnet 2400 dotnet @("test", $Sln, "-c", $Config, "--nologo", "--logger", "trx",
    "--logger", "console;verbosity=normal", "--results-directory", $DotnetResults,
    "--blame-hang-timeout", "600s", "--blame-hang-dump-type", "none") -Count {
    param($log)
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($trx in Get-ChildItem -Recurse -Filter *.trx $DotnetResults) {
      $run = [xml](Get-Content -Raw $trx.FullName)
      $c = $run.TestRun.ResultSummary.Counters
      $passed += [int]$c.passed
      $failed += [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
      # A skipped test is a result "NotExecuted" (the counters leave it out).
      $skipped += @($run.TestRun.Results.UnitTestResult | Where-Object { $_.outcome -eq "NotExecuted" }).Count
    }
    $why = @(Select-String -Path $log -Pattern "error [A-Z]+[0-9]+:", "test run (was )?aborted", "inactivity time.*elapsed" |
      ForEach-Object { $_.Line.Trim() } | Select-Object -First 2) -join "; "
    @($passed, $failed, $skipped, $why)
  } -Details {
    param($log)
    Select-String -Path $log -Pattern "^\s+Failed |error [A-Z]+[0-9]+:|[Aa]borted" -Context 0, 20 | ForEach-Object { $_.ToString() }
  }
}

# ctest: the per-test statuses of its JUnit report. CTest counts a test that did
# not run (its executable or a fixture it needs is missing) as failed, and a
# skipped or disabled one as passed: here the first is failed, the others skipped.
$CtestJunit = Join-Path $Build "test-results/ctest.xml"
function Test-CTest {
  if ($IsWindows) {
    $script:Broken += "ctest: the C tests (native-tests/) are POSIX-only and have no Windows port"
    return
  }
  $dir = Join-Path $Build "cmake/native-tests"
  if (-not (Test-Path (Join-Path $dir "CTestTestfile.cmake"))) {
    $script:Broken += "ctest: native-tests were not built (no $dir\CTestTestfile.cmake)"
    return
  }
  if (Test-Path $CtestJunit) { Remove-Item $CtestJunit }
  New-Item -ItemType Directory -Force -Path (Split-Path $CtestJunit) | Out-Null
  Invoke-Suite ctest 5400 ctest @("--test-dir", $dir, "-C", $Config, "--output-on-failure", "--no-tests=error",
    "--output-junit", $CtestJunit) -Count {
    param($log)
    if (-not (Test-Path $CtestJunit)) { return $null }
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($case in ([xml](Get-Content -Raw $CtestJunit)).testsuite.testcase) {
      $skip = $case.SelectSingleNode("skipped")
      if ($case.status -eq "run" -and -not $case.SelectSingleNode("failure")) { $passed++ }
      elseif ($case.status -eq "disabled" -or ($skip -and $skip.GetAttribute("message") -match "SKIP_")) { $skipped++ }
      else { $failed++ }
    }
    @($passed, $failed, $skipped, "")
  } -Details {
    param($log)
    Get-Content $log | Select-String -Pattern "\*\*\*|The following tests (FAILED|did not run)" -Context 0, 30 |
      ForEach-Object { $_.ToString() } | Select-Object -First 300
  }
}

# The NuGet package as a consumer uses it: pack into a local feed, then a fresh
# console app restores it, builds, runs, publishes and runs (one check each).
function Test-Package {
  Invoke-Suite package 1800 (Get-Process -Id $PID).Path @("-NoProfile", "-File",
    (Join-Path $Root "src/Pyodide.Runtime/packaging/test-package.ps1"))
}

function Add-SuiteCounts([string]$Name, [int]$Passed, [int]$Failed, [int]$Rc, $Stopwatch) {
  Write-Host ("$Passed passed, $Failed failed ({0} s)" -f [int]$Stopwatch.Elapsed.TotalSeconds)
  $script:Passed += $Passed; $script:Failed += $Failed
  if ($Rc -ne 0 -and $Failed -eq 0) { $script:Broken += "$Name (exit $Rc, no failed test recorded)" }
}

# The Rust crate (src\bindings\rust): cargo test, offline, against out\lib's
# import library, with out\bin (pyodide.dll) on PATH. A test binary that started
# but printed no result crashed or was stopped.
function Test-Rust {
  if (-not (Get-Command cargo -ErrorAction SilentlyContinue)) {
    $script:Broken += "rust: cargo is not installed (Rust 1.77 or newer)"
    return
  }
  $env:PYODIDE_LIB_DIR = Join-Path $Out "lib"
  $env:CARGO_TARGET_DIR = Join-Path $Build "cargo-target"
  $savedPath = $env:PATH
  $env:PATH = (Join-Path $Out "bin") + [IO.Path]::PathSeparator + $env:PATH
  try {
    Invoke-Suite rust 1800 cargo @("test", "--offline", "--no-fail-fast") -Directory (Join-Path $Root "src/bindings/rust") -Count {
      param($log)
      $passed = 0; $failed = 0; $skipped = 0; $bin = ""; $done = $true; $crashed = @(); $err = ""
      foreach ($line in Get-Content $log) {
        if ($line -match '^\s*(Running|Doc-tests) (\S+)') { if (-not $done) { $crashed += $bin }; $bin = $Matches[2]; $done = $false }
        elseif ($line -match '^test result: .*?(\d+) passed; (\d+) failed; (\d+) ignored') {
          $done = $true; $passed += [int]$Matches[1]; $failed += [int]$Matches[2]; $skipped += [int]$Matches[3]
        } elseif (-not $err -and $line -match '^error(\[E\d+\])?: ' -and $line -notmatch 'test failed|targets? failed') { $err = $line }
      }
      if (-not $done) { $crashed += $bin }
      $why = @()
      if ($crashed) { $why += "test binary crashed or was killed: $($crashed -join ' ')" }
      if ($err) { $why += "does not build: $err" }
      @($passed, $failed, $skipped, ($why -join "; "))
    } -Details {
      param($log)
      Select-String -Path $log -Pattern "^---- .* stdout ----|^error" -Context 0, 12 | ForEach-Object { $_.ToString() }
    }
  } finally { $env:PATH = $savedPath }
}

# The Go package (src\bindings\go): go vet, go build, go test -v. cgo needs
# gcc (mingw-w64) on PATH; pyodide.dll is found through PATH. A test that started
# with no result line did not finish (a panic, or go test's own -timeout).
function Test-Go {
  foreach ($tool in "go", "gcc") {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) {
      $script:Broken += "go: $tool is not installed (Go 1.19+ and mingw-w64 gcc for cgo)"
      return
    }
  }
  $env:CGO_ENABLED = "1"; $env:GOPROXY = "off"; $env:GOFLAGS = "-mod=mod"
  $savedPath = $env:PATH
  $env:PATH = (Join-Path $Out "bin") + [IO.Path]::PathSeparator + $env:PATH
  try {
    Invoke-Suite go 1800 (Get-Process -Id $PID).Path @("-NoProfile", "-Command",
      "go vet ./...; if (`$LASTEXITCODE -eq 0) { go build ./... }; if (`$LASTEXITCODE -eq 0) { go test -v -count=1 -timeout 20m ./... }; exit `$LASTEXITCODE") `
      -Directory (Join-Path $Root "src/bindings/go") -Count {
      param($log)
      $lines = Get-Content $log
      $started = @($lines | Where-Object { $_ -match '^=== RUN\s+(\S+)' } | ForEach-Object { ($_ -split '\s+')[2] })
      $ended = @($lines | Where-Object { $_ -match '^\s*--- (PASS|FAIL|SKIP): ' } | ForEach-Object { ($_.Trim() -split '\s+')[2] })
      $unfinished = @($started | Where-Object { $ended -notcontains $_ })
      $why = @()
      if ($unfinished) { $why += "did not finish: $($unfinished -join ' ')" }
      $err = $lines | Where-Object { $_ -match '^# |^vet: |: cannot |undefined: ' } | Select-Object -First 1
      if ($err) { $why += "vet/build: $err" }
      @(@($lines | Where-Object { $_ -match '^\s*--- PASS' }).Count, @($lines | Where-Object { $_ -match '^\s*--- FAIL' }).Count,
        @($lines | Where-Object { $_ -match '^\s*--- SKIP' }).Count, ($why -join "; "))
    } -Details {
      param($log)
      Select-String -Path $log -Pattern "^\s*--- FAIL|^# |vet:|panic:" -Context 2, 15 | ForEach-Object { $_.ToString() }
    }
  } finally { $env:PATH = $savedPath }
}

# Copies the products into PREFIX: include/pyodide.h, the library and
# Wasmtime's, the assets (a pyodide/ folder beside the library), pyodide-run,
# lib/pkgconfig/pyodide.pc, lib/cmake/Pyodide/, and on Windows the import
# library lib\pyodide.lib: the layout of out/.
function Install-To([string]$Destination) {
  if (-not $Destination) { Fail "usage: ./build.ps1 install PREFIX" }
  foreach ($d in "include", "bin", "lib/pkgconfig", "lib/cmake/Pyodide") {
    New-Item -ItemType Directory -Force -Path (Join-Path $Destination $d) | Out-Null
  }
  Copy-Item -Force (Join-Path $Out "include/pyodide.h") (Join-Path $Destination "include")
  foreach ($f in @($Products.Library, $Products.Wasmtime, $Products.Run) | Where-Object { $_ }) {
    Copy-Item -Force (Join-Path $Out $f) (Join-Path $Destination $f)
  }
  $assets = Join-Path $Destination $Products.Assets
  if (Test-Path $assets) { Remove-Item -Recurse -Force $assets }
  Copy-Item -Recurse (Join-Path $Out $Products.Assets) $assets
  if ($IsWindows) { Copy-Item -Force (Join-Path $Out "lib\pyodide.lib") (Join-Path $Destination "lib") }
  Copy-Item -Force (Join-Path $Out "lib/pkgconfig/pyodide.pc") (Join-Path $Destination "lib/pkgconfig")
  Copy-Item -Force (Join-Path $Out "lib/cmake/Pyodide/*.cmake") (Join-Path $Destination "lib/cmake/Pyodide")
}

function Invoke-Install {
  if (-not $Prefix) { Fail "usage: ./build.ps1 install PREFIX" }
  Invoke-Build
  Install-To $Prefix
  $howToRun = if ($IsWindows) { "put $(Join-Path $Prefix 'bin') on PATH to run" } else { "or PKG_CONFIG_PATH=$Prefix/lib/pkgconfig" }
  Say "installed into ${Prefix}: find_package(Pyodide) with CMAKE_PREFIX_PATH=$Prefix, $howToRun"
}

# Install into a scratch prefix, then C consumers built against it. On Linux
# that is src/bindings/c/install-test.sh, as `./build.sh test` runs it; the
# rest of this function is its Windows counterpart: the C consumer of
# src\bindings\c\consumer built with CMake's find_package and run (the
# pkg-config check needs pkg-config on PATH and is skipped without it).
function Test-Install {
  if (-not $IsWindows) {
    $testDir = Join-Path $Build "install-test"
    if (Test-Path $testDir) { Remove-Item -Recurse -Force $testDir }
    Install-To (Join-Path $testDir "prefix")
    Invoke-Suite install 1800 bash @((Join-Path $Root "src/bindings/c/install-test.sh"), (Join-Path $testDir "prefix"), $Out,
      (Join-Path $testDir "work"), (Get-LibraryVersion))
    return
  }
  $sw = [Diagnostics.Stopwatch]::StartNew()
  $log = Join-Path $Logs "test-install.log"
  $testDir = Join-Path $Build "install-test"
  $prefix = Join-Path $testDir "prefix"
  $work = Join-Path $testDir "work"
  $consumer = Join-Path $Root "src\bindings\c\consumer"
  $version = Get-LibraryVersion
  Write-Host -NoNewline "[test] install, pkg-config and CMake consumers ... "
  if (Test-Path $testDir) { Remove-Item -Recurse -Force $testDir }
  New-Item -ItemType Directory -Force -Path $work | Out-Null
  $passed = 0; $failed = 0
  $results = [Collections.Generic.List[string]]::new()
  function Check([string]$Name, [scriptblock]$Body) {
    try { $ok = & $Body } catch { $ok = $false; $results.Add("  $($_.Exception.Message)") }
    if ($ok) { $results.Add("ok - $Name"); $script:checkPassed++ } else { $results.Add("not ok - $Name"); $script:checkFailed++ }
  }
  $script:checkPassed = 0; $script:checkFailed = 0
  # Builds the consumer with find_package against P and runs it with P\bin on PATH.
  function CMake-Consumer([string]$P, [string]$Name, [string]$Request = "") {
    $dir = Join-Path $work $Name
    & cmake -S $consumer -B $dir "-DCMAKE_PREFIX_PATH=$P" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF "-DPYODIDE_REQUEST=$Request" *>> $log
    if ($LASTEXITCODE -ne 0) { return $false }
    & cmake --build $dir --config $Config *>> $log
    if ($LASTEXITCODE -ne 0) { return $false }
    $exe = Get-ChildItem -Recurse -Filter consumer.exe $dir | Select-Object -First 1
    $savedPath = $env:PATH
    $env:PATH = "$(Join-Path $P 'bin');$env:PATH"
    try { $got = (& $exe.FullName) } finally { $env:PATH = $savedPath }
    return ($LASTEXITCODE -eq 0 -and "$got".Trim() -eq "42")
  }
  try { Install-To $prefix } catch { $results.Add("not ok - install"); $script:checkFailed++ }
  Check "layout" {
    $missing = @("include\pyodide.h", "bin\pyodide.dll", "bin\wasmtime.dll", "bin\pyodide\python.wasm", "lib\pyodide.lib",
      "lib\pkgconfig\pyodide.pc", "lib\cmake\Pyodide\PyodideConfig.cmake", "lib\cmake\Pyodide\PyodideConfigVersion.cmake") |
      Where-Object { -not (Test-Path (Join-Path $prefix $_)) }
    foreach ($m in $missing) { $results.Add("  missing: $m") }
    @($missing).Count -eq 0
  }
  Check "relocatable_files" {
    -not (Select-String -SimpleMatch -Quiet -Pattern $prefix -Path (Join-Path $prefix "lib\cmake\Pyodide\*.cmake"), (Join-Path $prefix "lib\pkgconfig\pyodide.pc"))
  }
  if (Get-Command pkg-config -ErrorAction SilentlyContinue) {
    Check "pkgconfig_version" {
      $env:PKG_CONFIG_PATH = Join-Path $prefix "lib\pkgconfig"
      try { $v = (& pkg-config --modversion pyodide) } finally { Remove-Item Env:PKG_CONFIG_PATH }
      "$v".Trim() -eq $version
    }
  } else {
    $results.Add("# skipped pkgconfig_version: pkg-config is not on PATH")
  }
  Check "cmake_consumer" { CMake-Consumer $prefix "cmake-consumer" }
  Check "cmake_version_request" {
    (CMake-Consumer $prefix "cmake-exact" "$version EXACT") -and
      -not (CMake-Consumer $prefix "cmake-too-new" "99.0")
  }
  Check "moved_prefix" {
    $moved = Join-Path $work "moved"
    Copy-Item -Recurse $prefix $moved
    CMake-Consumer $moved "moved-cmake-consumer"
  }
  Check "out_tree" { CMake-Consumer $Out "out-cmake-consumer" }
  $results | Add-Content $log
  $passed = $script:checkPassed; $failed = $script:checkFailed
  Add-SuiteCounts "install test" $passed $failed ([int]($failed -ne 0)) $sw
  if ($failed -ne 0) {
    $results | Where-Object { $_ -match "^not ok|^  " } | Write-Host
    Say "full output: $log"
  }
}

# examples/: the C, C++ and .NET examples built against out/ and run with their
# output in a file, compared with the .expected files. On Linux that is
# examples/run-examples.sh, as `./build.sh test` runs it; the rest of this
# function is its Windows counterpart.
function Test-Examples {
  if (-not $IsWindows) {
    Invoke-Suite examples 1200 bash @((Join-Path $Root "examples/run-examples.sh"), $Out, (Join-Path $Build "examples"))
    return
  }
  $examples = Join-Path $Root "examples"
  $work = Join-Path $Build "examples"
  $log = Join-Path $Logs "test-examples.log"
  $sw = [Diagnostics.Stopwatch]::StartNew()
  Write-Host -NoNewline "[test] examples (examples\) ... "
  if (Test-Path $work) { Remove-Item -Recurse -Force $work }
  New-Item -ItemType Directory -Force -Path $work | Out-Null
  $results = [Collections.Generic.List[string]]::new()
  $script:checkPassed = 0; $script:checkFailed = 0
  function Check([string]$Name, [scriptblock]$Body) {
    try { $ok = & $Body } catch { $ok = $false; $results.Add("  $($_.Exception.Message)") }
    if ($ok) { $results.Add("ok - $Name"); $script:checkPassed++ } else { $results.Add("not ok - $Name"); $script:checkFailed++ }
  }
  # Runs FILE ARGS with stdout in a file (a real redirection, as `example > log`) and
  # compares it with EXPECTED (line endings aside).
  function Run-And-Compare([string]$Expected, [string]$File, [string[]]$Arguments = @()) {
    $got = Join-Path $work ([IO.Path]::GetFileNameWithoutExtension($Expected) + ".out")
    $savedPath = $env:PATH
    $env:PATH = "$(Join-Path $Out 'bin');$env:PATH"
    try {
      $start = @{ FilePath = $File; NoNewWindow = $true; Wait = $true; PassThru = $true; RedirectStandardOutput = $got }
      if ($Arguments.Count -gt 0) { $start.ArgumentList = $Arguments }  # an empty list is refused
      $p = Start-Process @start
    } finally { $env:PATH = $savedPath }
    $want = (Get-Content -Raw $Expected) -replace "`r", ""
    $have = (Get-Content -Raw $got) -replace "`r", ""
    if ($have -ne $want) { $results.Add("  expected:`n$want  got:`n$have") }
    return ($p.ExitCode -eq 0 -and $have -eq $want)
  }
  Check "sources_under_60_lines" {
    $long = Get-ChildItem -Path (Join-Path $examples "*") -Recurse -Include *.c, *.cpp, *.hpp, *.cs |
      Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' -and @(Get-Content $_.FullName).Count -ge 60 }
    foreach ($f in $long) { $results.Add("  $($f.Name) has 60 lines or more") }
    @($long).Count -eq 0
  }
  $cmakeDir = Join-Path $work "cmake"
  Check "build_c_and_cpp" {
    & cmake -S $examples -B $cmakeDir "-DCMAKE_PREFIX_PATH=$Out" -DCMAKE_COMPILE_WARNING_AS_ERROR=ON *>> $log
    if ($LASTEXITCODE -ne 0) { return $false }
    & cmake --build $cmakeDir --config $Config *>> $log
    $LASTEXITCODE -eq 0
  }
  foreach ($name in "run_code", "buffer_2d", "host_function") {
    Check "c_$name" { Run-And-Compare (Join-Path $examples "c\$name.expected") (Join-Path $cmakeDir "$Config\$name.exe") }
  }
  Check "cpp_main" { Run-And-Compare (Join-Path $examples "cpp\main.expected") (Join-Path $cmakeDir "$Config\cpp_example.exe") }
  $dotnetDir = Join-Path $work "dotnet"
  Check "build_dotnet" {
    & dotnet build (Join-Path $examples "dotnet\Pyodide.Example.csproj") -c $Config --nologo -o $dotnetDir *>> $log
    $LASTEXITCODE -eq 0
  }
  Check "dotnet_program" {
    Run-And-Compare (Join-Path $examples "dotnet\Program.expected") "dotnet" @((Join-Path $dotnetDir "Pyodide.Example.dll"))
  }
  $results | Add-Content $log
  $passed = $script:checkPassed; $failed = $script:checkFailed
  Add-SuiteCounts "examples" $passed $failed ([int]($failed -ne 0)) $sw
  if ($failed -ne 0) {
    $results | Where-Object { $_ -match "^not ok|^  " } | Write-Host
    Say "full output: $log"
  }
}

# The benchmarks are never run by `test`, only compiled so they cannot rot: the
# C one is built by Step-Native; `dotnet test` skips non-test projects, so the
# BenchmarkDotNet one is built here (one check: it compiles).
function Test-BenchCompiles {
  Invoke-Suite bench-compiles 900 dotnet @("build", (Join-Path $Root "bench/Pyodide.Benchmarks/Pyodide.Benchmarks.csproj"),
    "-c", $Config, "--nologo") -Count {
    param($log)
    if (Select-String -Quiet -Path $log -Pattern "^Build succeeded") { return @(1, 0, 0, "") }
    $first = Select-String -Path $log -Pattern " error [A-Z]+[0-9]+:" | Select-Object -First 1
    @(0, 0, 0, "does not compile: $(if ($first) { $first.Line.Trim() } else { 'see the log' })")
  } -Details {
    param($log)
    Select-String -Path $log -Pattern " error [A-Z]+[0-9]+:" | ForEach-Object { $_.Line } | Sort-Object -Unique | Select-Object -First 40
  }
}

# The last line (see the top of the test section).
function Write-Totals {
  foreach ($b in $script:Broken) { Say "suite broken: $b" }
  $line = "$($script:Passed) passed, $($script:Failed) failed"
  if ($script:Skipped) { $line += ", $($script:Skipped) skipped" }
  if ($script:Broken.Count) { $line += ", $($script:Broken.Count) suite$(if ($script:Broken.Count -ne 1) { 's' }) broken" }
  Write-Output $line
}

function Invoke-Test {
  # A failed build still ends with the summary line: the build is the broken suite.
  try { Invoke-Build } catch {
    Write-Host $_.Exception.Message -ForegroundColor Red
    $script:Broken += "build: the build failed: no test suite could run"
    Write-Totals
    exit 1
  }
  Test-Dotnet
  Test-CTest
  Test-BenchCompiles
  Test-Rust
  Test-Go
  Test-Install
  Test-Package
  Test-Examples
  Write-Totals
  if ($script:Failed -ne 0 -or $script:Broken.Count -ne 0) { exit 1 }
}

function Invoke-Run {
  Invoke-Build
  if ($IsWindows) {
    $example = Join-Path $Root "examples/dotnet/Pyodide.Example.csproj"
    Say "dotnet run --project $example (pyodide-run is POSIX-only)"
    dotnet run --project $example -c $Config
    exit $LASTEXITCODE
  }
  $run = Join-Path $Out $Products.Run
  Say "$run src/pyodide-run/sample.py"
  & $run (Join-Path $Root "src/pyodide-run/sample.py")
  exit $LASTEXITCODE
}

# --- bench ---------------------------------------------------------------------------
# As build.sh's learn_snapshot_stamp: removes the library's stamp of the snapshot
# $File from the compiled-module cache (SnapshotVerified.cs names it by device, inode,
# size and times; it keeps which pages the first process to load the file wrote), waits
# until the file is old enough to be stamped again (unchanged for 2 s), and lets
# `pyodide-run -c pass` be the first process to load it. Whether that ran; stamps (and
# pyodide-run) exist on Linux only.
function Update-SnapshotStamp([string]$File) {
  if (-not $IsLinux) { return $true }
  $cache = if ($env:PYODIDE_MODULE_CACHE) { $env:PYODIDE_MODULE_CACHE }
           elseif ($env:XDG_CACHE_HOME) { Join-Path $env:XDG_CACHE_HOME "pyodide-native/modules" }
           else { Join-Path $HOME ".cache/pyodide-native/modules" }
  $inode = [long](& stat -c %i $File)
  $pattern = "snapshot-*-{0:x}-{1:x}-*.checked" -f $inode, (Get-Item $File).Length
  Get-ChildItem -Path $cache -Filter $pattern -ErrorAction SilentlyContinue | Remove-Item -Force
  while ([DateTimeOffset]::UtcNow.ToUnixTimeSeconds() - [long](& stat -c %Z $File) -lt 3) { Start-Sleep -Seconds 1 }
  & (Join-Path $Out $Products.Run) -c pass
  return $LASTEXITCODE -eq 0
}

# As `build.sh bench`: the C ABI benchmark, the interpreter workloads and the
# BenchmarkDotNet suite, PYODIDE_BENCH_RUNS times (3), then bench/report.py turns
# the runs (build/bench/run-N/) into one table in bench/results/latest.md. A native
# Python 3 is needed: it is the interpreter baseline and writes the report. On Linux
# that is Debian's /usr/bin/python3.11 (as build.sh: the same CPython as the guest,
# built with PGO and LTO), never whatever python3 comes first on PATH.
function Get-NativePython {
  if ($IsLinux) {
    if (Test-Path /usr/bin/python3.11) { return "/usr/bin/python3.11" }
    Fail "/usr/bin/python3.11 (Debian's python3.11) is needed as the native baseline"
  }
  foreach ($candidate in @(@("python3"), @("python"), @("py", "-3"))) {
    if (-not (Get-Command $candidate[0] -ErrorAction SilentlyContinue)) { continue }
    $rest = @($candidate | Select-Object -Skip 1)
    $exe = & $candidate[0] @rest -c "import sys; print(sys.executable)" 2>$null
    if ($LASTEXITCODE -eq 0 -and $exe) { return ([string]$exe).Trim() }
  }
  Fail "a native Python 3 is needed (python3, python or py -3 on PATH) as the interpreter baseline"
}

function Invoke-Bench {
  if ($IsWindows) { Fail "bench needs pyodide-run and the C benchmark, which are POSIX-only" }
  $sw = [Diagnostics.Stopwatch]::StartNew()
  $load = if ($IsLinux) { ((Get-Content /proc/loadavg) -split " ")[0..2] -join " " } else { "n/a (Windows)" }
  Invoke-Build
  $proj = Join-Path $Root "bench/Pyodide.Benchmarks/Pyodide.Benchmarks.csproj"
  Logged "bench-dotnet-build" "dotnet build bench/Pyodide.Benchmarks" { dotnet build $proj -c $Config --nologo }
  $py = Get-NativePython
  $runs = if ($env:PYODIDE_BENCH_RUNS) { $env:PYODIDE_BENCH_RUNS } else { "3" }
  if ($runs -notmatch '^[1-9][0-9]*$') { Fail "PYODIDE_BENCH_RUNS must be a positive number, not '$runs'" }
  $benchDir = Join-Path $Build "bench"
  if (Test-Path $benchDir) { Remove-Item -Recurse -Force $benchDir }
  New-Item -ItemType Directory -Force -Path $benchDir, $Logs | Out-Null
  $run = Join-Path $Out $Products.Run
  $failed = $false

  $exe = Get-ChildItem -Recurse -Filter "bench_abi$ExeSuffix" (Join-Path $Build "cmake/bench") | Select-Object -First 1
  if (-not $exe) { Fail "bench_abi$ExeSuffix was not built ($(Join-Path $Build 'cmake/bench'))" }
  # Windows only: pyodide.dll and wasmtime.dll are found in out\bin through PATH.
  $env:PATH = (Join-Path $Out "bin") + [IO.Path]::PathSeparator + $env:PATH
  # Each engine's compiled module must be cached before timing starts (a build
  # elsewhere, such as another checkout, may have evicted it). The built-in
  # snapshot's stamp is learned again, so the start-up rows do not depend on what
  # ran since the build.
  & $exe.FullName --warm
  if ($LASTEXITCODE -ne 0) { $failed = $true }
  if (-not (Update-SnapshotStamp (Join-Path $Out "lib/pyodide/python.snapshot"))) { $failed = $true }
  $reportRuns = @()
  for ($n = 1; $n -le [int]$runs; $n++) {
    $dir = Join-Path $benchDir "run-$n"
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    $reportRuns += @("--run", $dir)
    $abiLog = Join-Path $Logs "bench-abi-$n.log"
    Say "run $n of ${runs}: C ABI: $($exe.FullName) (log: $abiLog)"
    & $exe.FullName --json (Join-Path $dir "abi.json") --pyodide-run $run --python3 $py |
      Tee-Object -FilePath $abiLog
    if ($LASTEXITCODE -ne 0) { $failed = $true }

    $workLog = Join-Path $Logs "bench-workloads-$n.log"
    Say "run $n of ${runs}: interpreter: bench/workloads under $py and pyodide-run, unguarded and guarded (log: $workLog)"
    # As build.sh, minus the Pyodide-in-Node column (build.sh bench fetches its npm package).
    & $py (Join-Path $Root "bench/run_workloads.py") --python3 $py --run "pyodide-run=$run" `
      --run "pyodide-run guarded=$run --timeout 3600" `
      --out (Join-Path $dir "workloads.json") | Tee-Object -FilePath $workLog
    if ($LASTEXITCODE -ne 0) { $failed = $true }

    $log = Join-Path $Logs "bench-dotnet-$n.log"
    Write-Host -NoNewline "[build] run $n of ${runs}: BenchmarkDotNet: bench/Pyodide.Benchmarks (log: $log) ... "
    $bdnSw = [Diagnostics.Stopwatch]::StartNew()
    Push-Location $dir
    try {
      & dotnet (Join-Path $Root "bench/Pyodide.Benchmarks/bin/$Config/net10.0/Pyodide.Benchmarks.dll") `
        --filter "*" --artifacts (Join-Path $dir "bdn") *> $log
      $rc = $LASTEXITCODE
    } finally { Pop-Location }
    if ($rc -eq 0) { Write-Host ("{0} s" -f [int]$bdnSw.Elapsed.TotalSeconds) }
    else {
      Write-Host ("failed ({0} s)" -f [int]$bdnSw.Elapsed.TotalSeconds)
      Select-String -Path $log -Pattern "Exception|error|failed" | Select-Object -First 20 | ForEach-Object { $_.Line } | Write-Host
      $failed = $true
    }
    # BenchmarkDotNet's own summary tables.
    Get-Content $log | Where-Object { $_ -match "^\|" } | Write-Host
  }

  $latest = Join-Path $Root "bench/results/latest.md"
  & $py (Join-Path $Root "bench/report.py") @reportRuns `
    --out $latest --command "./build.ps1 bench" --load-before $load `
    --elapsed ("{0} s including the build" -f [int]$sw.Elapsed.TotalSeconds)
  Get-Content $latest | Write-Host
  if ($failed) { Fail "a benchmark failed: see the logs above" }
  Say ("bench done in {0} s" -f [int]$sw.Elapsed.TotalSeconds)
}

# CPython's whole Lib/test natively and in the sandbox (cpython-tests/run.sh, ~50 min):
# writes docs/cpython-tests.md. Linux only: the test build of the guest and the
# native baseline are Debian's.
function Invoke-CPythonTests {
  if (-not $IsLinux) { Fail "cpython-tests runs on Linux only (run ./build.sh cpython-tests in WSL)" }
  Invoke-Build
  & bash (Join-Path $Root "cpython-tests/run.sh")
  if ($LASTEXITCODE -ne 0) { Fail "cpython-tests/run.sh failed (exit $LASTEXITCODE)" }
}

function Invoke-Clean {
  foreach ($d in $Out, $Build) { if (Test-Path $d) { Remove-Item -Recurse -Force $d } }
  Say "removed $Out and $Build"
}

try {
  switch ($Command) {
    "build" { Invoke-Build }
    "run" { Invoke-Run }
    "test" { Invoke-Test }
    "bench" { Invoke-Bench }
    "clean" { Invoke-Clean }
    "install" { Invoke-Install }
    "cpython-tests" { Invoke-CPythonTests }
    default { Fail "unknown command '$Command' (build, run, test, bench, cpython-tests, clean, install PREFIX)" }
  }
} catch {
  Write-Host $_.Exception.Message -ForegroundColor Red
  exit 1
}
