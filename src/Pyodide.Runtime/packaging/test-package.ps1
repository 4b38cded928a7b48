#Requires -Version 7.0
<#
.SYNOPSIS
  test-package.ps1 - tests the Pyodide.Runtime NuGet package the way a consumer uses it.
  The PowerShell counterpart of test-package.sh (run by build.ps1 test): keep the two in step.

.DESCRIPTION
  Packs src\Pyodide.Runtime into a local folder feed (the Python assets come
  from out\lib\pyodide: run build.ps1 first), creates a fresh console app in a
  temp directory (dotnet new console), adds the package through a NuGet.config
  that clears the machine's sources and names two: the feed, the only one the
  package under test may come from (package source mapping), and nuget.org for
  Wasmtime, then builds and runs the app, and publishes (-c Release) and runs the published app: each
  must print 45 (sum(range(10))) and 3 (a host object) and find its assets in pyodide\ beside itself.

  Prints "ok - CHECK" or "not ok - CHECK" per check and ends with
  "N passed, N failed"; exits 1 if any check failed.

  The package version comes from Pyodide.Runtime.csproj (<Version>). Restore
  uses a private global-packages folder (build\package-test\packages, or
  $env:PYODIDE_PACKAGE_TEST_PACKAGES) so the package under test is never a
  stale copy from the user's cache; Wasmtime is seeded there from the user's
  cache when present. The temp directory is removed on success and kept on
  failure (or always with $env:PYODIDE_PACKAGE_TEST_KEEP = "1").
#>
Set-StrictMode -Version Latest
$ErrorActionPreference = "Stop"
$env:DOTNET_CLI_TELEMETRY_OPTOUT = "1"
$env:DOTNET_NOLOGO = "1"

$Root = (Resolve-Path (Join-Path $PSScriptRoot "../../..")).Path
$Proj = Join-Path $Root "src/Pyodide.Runtime/Pyodide.Runtime.csproj"
$Assets = Join-Path $Root "out/lib/pyodide"
$Packages = if ($env:PYODIDE_PACKAGE_TEST_PACKAGES) { $env:PYODIDE_PACKAGE_TEST_PACKAGES } else { Join-Path $Root "build/package-test/packages" }
$UserPackages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath("UserProfile")) ".nuget/packages" }
$Sw = [Diagnostics.Stopwatch]::StartNew()
$script:Passed = 0
$script:Failed = 0

function Ok([string]$Check) { $script:Passed++; Write-Output "ok - $Check" }
# Seconds since the last call (the steps' durations, for the ok lines).
$script:Mark = 0
function Lap { $now = [int]$Sw.Elapsed.TotalSeconds; $script:LapSecs = $now - $script:Mark; $script:Mark = $now }
function NotOk([string]$Check, [string[]]$Details = @()) {
  $script:Failed++
  Write-Output "not ok - $Check"
  foreach ($d in $Details) { Write-Output "  $d" }
}
function Finish {
  if ($script:Failed -eq 0 -and $env:PYODIDE_PACKAGE_TEST_KEEP -ne "1") {
    Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
    $script:Work = "(removed)"
  }
  Write-Output ("[package] {0} s; work directory: {1}" -f [int]$Sw.Elapsed.TotalSeconds, $Work)
  Write-Output "$($script:Passed) passed, $($script:Failed) failed"
  exit ([int]($script:Failed -ne 0))
}
# The checks that cannot run after a step failed count as failed.
function SkipRest([string]$Reason, [string[]]$Checks) {
  foreach ($c in $Checks) { NotOk $c @("not run: $Reason") }
  Finish
}
# Run LOG EXE ARGS...: runs the command with its output in LOG; on failure
# sets $script:RunTail to the log's last lines. Returns whether it succeeded.
function Run([string]$Log, [string]$Exe, [string[]]$Arguments) {
  & $Exe @Arguments *> $Log
  $rc = $LASTEXITCODE
  $script:RunTail = @()
  if ($rc -ne 0) {
    $script:RunTail = @("exit ${rc}: $Exe $($Arguments -join ' ')") + @(Get-Content $Log -Tail 25)
  }
  return ($rc -eq 0)
}
# The sorted relative paths (files, and directories with a trailing /) under DIR.
function TreeOf([string]$Dir) {
  if (-not (Test-Path $Dir)) { return @() }
  $base = (Resolve-Path $Dir).Path
  @(Get-ChildItem -Recurse -Force $base | ForEach-Object {
      $rel = [IO.Path]::GetRelativePath($base, $_.FullName) -replace "\\", "/"
      if ($_.PSIsContainer) { "$rel/" } else { $rel }
    } | Sort-Object -CaseSensitive)
}

$Work = Join-Path ([IO.Path]::GetTempPath()) ("pyodide-package-test." + [IO.Path]::GetRandomFileName().Replace(".", ""))
$Feed = Join-Path $Work "feed"
$App = Join-Path $Work "app"
New-Item -ItemType Directory -Force -Path $Feed, $App, $Packages | Out-Null

# --- the package's identity, from the project --------------------------------------
$AllChecks = @("pack", "package contents", "restore from the local feed", "dotnet build of a consumer",
  "the built consumer runs Python", "dotnet publish of a consumer", "the published consumer runs Python")
$propsLog = Join-Path $Work "properties.log"
if (-not (Run $propsLog "dotnet" @("msbuild", $Proj, "-getProperty:PackageId", "-getProperty:PackageVersion", "-getItem:PackageReference"))) {
  NotOk "read the package id and version from Pyodide.Runtime.csproj" $script:RunTail
  SkipRest "no package identity" $AllChecks
}
$props = Get-Content -Raw $propsLog | ConvertFrom-Json
$Id = $props.Properties.PackageId
$Version = $props.Properties.PackageVersion
$Wasmtime = ($props.Items.PackageReference | Where-Object Identity -eq "Wasmtime").Version
$IdLower = $Id.ToLowerInvariant()
$Nupkg = Join-Path $Feed "$Id.$Version.nupkg"
Write-Output "[package] $Id $Version (Wasmtime $Wasmtime); work directory $Work"

# --- pack -------------------------------------------------------------------------
if (-not (Run (Join-Path $Work "pack.log") "dotnet" @("pack", $Proj, "-c", "Release", "-o", $Feed, "--nologo")) -or
    -not (Test-Path $Nupkg)) {
  NotOk "pack" $(if ($script:RunTail) { $script:RunTail } else { @("no $Nupkg") })
  SkipRest "pack failed" $AllChecks[1..($AllChecks.Count - 1)]
}
Lap
Ok ("pack ({0} KiB, {1} s)" -f [int]((Get-Item $Nupkg).Length / 1024), $script:LapSecs)

# --- package contents --------------------------------------------------------------
Add-Type -AssemblyName System.IO.Compression.FileSystem
$problems = @()
$zip = [IO.Compression.ZipFile]::OpenRead($Nupkg)
try {
  $listing = @($zip.Entries | ForEach-Object FullName)
  $entry = $zip.GetEntry("$Id.nuspec")
  $reader = [IO.StreamReader]::new($entry.Open())
  $nuspec = $reader.ReadToEnd()
  $reader.Dispose()
} finally { $zip.Dispose() }
foreach ($f in "lib/net10.0/$Id.dll", "lib/net10.0/$Id.xml", "README.md", "buildTransitive/$Id.targets") {
  if ($listing -cnotcontains $f) { $problems += "missing $f" }
}
foreach ($f in (TreeOf $Assets)) {
  if ($f.EndsWith("/")) { continue } # a package holds no directories
  if ($listing -cnotcontains "pyodide/$f") { $problems += "missing pyodide/$f" }
}
foreach ($want in "<id>$Id</id>", "<version>$Version</version>", '<license type="expression">MIT</license>',
  '<readme>README.md</readme>', "<dependency id=`"Wasmtime`" version=`"$Wasmtime`"") {
  if (-not $nuspec.Contains($want)) { $problems += "the nuspec lacks $want" }
}
if ($nuspec -notmatch "<description>.") { $problems += "the nuspec has no description" }
if ($problems) { NotOk "package contents" $problems } else { Ok "package contents" }

# --- a fresh consumer --------------------------------------------------------------
# Seed the private packages folder with Wasmtime from the user's cache, and drop
# any earlier copy of the package under test.
$seed = Join-Path $UserPackages "wasmtime/$Wasmtime"
$seeded = Join-Path $Packages "wasmtime/$Wasmtime"
if (-not (Test-Path $seeded) -and (Test-Path (Join-Path $seed ".nupkg.metadata"))) {
  New-Item -ItemType Directory -Force -Path (Join-Path $Packages "wasmtime") | Out-Null
  try { Copy-Item -Recurse $seed $seeded } catch { Remove-Item -Recurse -Force $seeded -ErrorAction SilentlyContinue }
}
Remove-Item -Recurse -Force (Join-Path $Packages $IdLower) -ErrorAction SilentlyContinue

$esc = [Security.SecurityElement]
@"
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config>
    <add key="globalPackagesFolder" value="$($esc::Escape($Packages))" />
  </config>
  <packageSources>
    <clear />
    <add key="pyodide-package-test" value="$($esc::Escape($Feed))" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="pyodide-package-test">
      <package pattern="$($esc::Escape($Id))" />
    </packageSource>
    <packageSource key="nuget.org">
      <package pattern="*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
"@ | Set-Content -Encoding utf8 (Join-Path $Work "NuGet.config")

$consumerChecks = $AllChecks[2..($AllChecks.Count - 1)]
if (-not (Run (Join-Path $Work "new.log") "dotnet" @("new", "console", "-o", $App, "-n", "PyodideConsumer", "--no-restore"))) {
  NotOk "dotnet new console" $script:RunTail
  SkipRest "no consumer project" $consumerChecks
}
Lap
@'
using Pyodide;

using var py = PyodideRuntime.Load();
Console.WriteLine(py.RunPython("sum(range(10))"));
// A host object. ByReference also keeps Counter's members in a trimmed
// (NativeAOT) program, where nothing in .NET calls them.
py.Globals["counter"] = PyodideRuntime.ByReference(new Counter());
Console.WriteLine(py.RunPython("counter.Add(2)\ncounter.Add(1)\ncounter.Total"));
Console.WriteLine($"Pyodide.Runtime {PyodideRuntime.Version}");

public class Counter
{
    public int Total { get; private set; }
    public int Add(int n) => Total += n;
}
'@ | Set-Content -Encoding utf8 (Join-Path $App "Program.cs")

if (-not (Run (Join-Path $Work "add-package.log") "dotnet" @("add", (Join-Path $App "PyodideConsumer.csproj"), "package", $Id, "--version", $Version))) {
  NotOk "restore from the local feed" $script:RunTail
  SkipRest "the package did not restore" $consumerChecks[1..($consumerChecks.Count - 1)]
}
Lap
$restored = Join-Path $Packages "$IdLower/$Version/$IdLower.$Version.nupkg"
if ((Test-Path $restored) -and (Get-FileHash $restored).Hash -eq (Get-FileHash $Nupkg).Hash) {
  Ok "restore from the local feed ($($script:LapSecs) s)"
} else {
  NotOk "restore from the local feed" @("the restored $restored is not the packed $Nupkg")
}

# DIR\pyodide must hold exactly the asset tree (files and directories).
function TreeProblems([string]$Dir) {
  $diff = Compare-Object -CaseSensitive (TreeOf $Assets) (TreeOf (Join-Path $Dir "pyodide"))
  @($diff | Select-Object -First 10 | ForEach-Object {
      if ($_.SideIndicator -eq "<=") { "missing in pyodide/: $($_.InputObject)" } else { "extra in pyodide/: $($_.InputObject)" }
    })
}
# The command (run from the temp root, so only the app's own folder counts)
# must print 45, 3 (a host object's property), then the package's version.
function CheckRun([string]$Check, [string]$Exe, [string[]]$Arguments) {
  Push-Location ([IO.Path]::GetPathRoot($Work))
  try { $out = (& $Exe @Arguments 2>&1 | Out-String).Trim() -replace "`r", "" } finally { Pop-Location }
  $rc = $LASTEXITCODE
  if ($rc -eq 0 -and $out -ceq "45`n3`nPyodide.Runtime $Version") { Ok $Check }
  else { NotOk $Check (@("exit $rc, output:") + @($out -split "`n" | Select-Object -First 20)) }
}
$exe = if ($IsWindows) { "PyodideConsumer.exe" } else { "PyodideConsumer" }

# --- build and run ----------------------------------------------------------------
$bin = Join-Path $App "bin/Debug/net10.0"
Lap
if (Run (Join-Path $Work "build.log") "dotnet" @("build", $App, "--nologo")) {
  Lap
  $problems = TreeProblems $bin
  if ($problems) { NotOk "dotnet build of a consumer" $problems } else { Ok "dotnet build of a consumer ($($script:LapSecs) s)" }
  CheckRun "the built consumer runs Python" (Join-Path $bin $exe) @()
} else {
  NotOk "dotnet build of a consumer" $script:RunTail
  NotOk "the built consumer runs Python" @("not run: the build failed")
}

# --- publish and run --------------------------------------------------------------
$pub = Join-Path $Work "publish"
Lap
if (Run (Join-Path $Work "publish.log") "dotnet" @("publish", $App, "-c", "Release", "-o", $pub, "--nologo")) {
  Lap
  $problems = TreeProblems $pub
  if ($problems) { NotOk "dotnet publish of a consumer" $problems } else { Ok "dotnet publish of a consumer ($($script:LapSecs) s)" }
  CheckRun "the published consumer runs Python" "dotnet" @((Join-Path $pub "PyodideConsumer.dll"))
} else {
  NotOk "dotnet publish of a consumer" $script:RunTail
  NotOk "the published consumer runs Python" @("not run: the publish failed")
}

Finish
