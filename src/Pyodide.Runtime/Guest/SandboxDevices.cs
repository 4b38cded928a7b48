namespace Pyodide.Guest;

/// <summary>The sandbox's <c>/dev/null</c>, <c>/dev/zero</c>, <c>/dev/random</c> and
/// <c>/dev/urandom</c>: the host's own devices, opened by the host when the guest opens one
/// of those paths in its root (bridge/files.c) and then read, written and stat'ed as any file
/// the host serves (<see cref="OpenFiles"/>), so they behave as Linux's do: writes to
/// <c>null</c> and <c>zero</c> vanish, reads give nothing, zeros or random bytes. WASI has no
/// devices, and scripts use <c>os.devnull</c> to silence output and <c>/dev/urandom</c> for
/// bytes. None of them tells the guest anything of the host, and none can be written to
/// affect it: writing to <c>random</c> or <c>urandom</c> (which Linux mixes into the host's
/// entropy pool) is refused. And <c>/dev/stdin</c>, <c>/dev/stdout</c> and
/// <c>/dev/stderr</c>: the runtime's own standard streams (what <c>sys.stdin</c>,
/// <c>sys.stdout</c> and <c>sys.stderr</c> read and write: the host's handlers, or the
/// process's streams), kept in <see cref="OpenFiles"/> as streams, not host descriptors, so
/// a runtime whose output goes to a handler never writes to the process's own. There is no
/// <c>/dev</c> directory: a path there that is none of these is missing, so a program that
/// opens <c>/dev/tty</c> to write gets FileNotFoundError, not a file of the sandbox's that
/// would swallow what it writes. A mount at <c>/dev</c> is the mount's.</summary>
internal static class SandboxDevices
{
    private const int Eexist = 20, Eacces = 2; // WASI's numbers

    /// <summary>Whether <paramref name="relative"/>, a path beneath the runtime's root, is one of
    /// the devices.</summary>
    public static bool Is(string relative) =>
        relative is "dev/null" or "dev/zero" or "dev/random" or "dev/urandom" || StreamOf(relative) >= 0;

    /// <summary>The standard stream (0, 1 or 2) <paramref name="relative"/> names, or -1.</summary>
    public static int StreamOf(string relative) => relative switch
    {
        "dev/stdin" => 0, "dev/stdout" => 1, "dev/stderr" => 2, _ => -1,
    };

    /// <summary>Whether the standard stream <paramref name="stream"/> may be opened as
    /// <paramref name="how"/> says: stdin for reading, stdout and stderr for writing; an
    /// exclusive create is EEXIST, the other direction EACCES, as
    /// <see cref="SandboxDirectory.Error"/>; else 0.</summary>
    public static int CheckStream(int stream, SandboxDirectory.How how)
    {
        if (how.HasFlag(SandboxDirectory.How.Exclusive)) return SandboxDirectory.Error(Eexist);
        bool reads = how.HasFlag(SandboxDirectory.How.Read), writes = how.HasFlag(SandboxDirectory.How.Write);
        return (stream == 0 ? writes : reads) ? SandboxDirectory.Error(Eacces) : 0;
    }

    /// <summary>The device at <paramref name="relative"/> (<see cref="Is"/>) opened as
    /// <paramref name="how"/> says: its fd (the caller's to close); an exclusive create is
    /// <see cref="SandboxDirectory.Error"/> EEXIST and writing to <c>random</c> or <c>urandom</c>
    /// EACCES; <see cref="SandboxDirectory.Unknown"/> if the host has no such device.</summary>
    public static int Open(string relative, SandboxDirectory.How how)
    {
        if (how.HasFlag(SandboxDirectory.How.Exclusive)) return SandboxDirectory.Error(Eexist);
        bool writes = how.HasFlag(SandboxDirectory.How.Write);
        if (writes && relative.EndsWith("random", StringComparison.Ordinal)) return SandboxDirectory.Error(Eacces);
        // Creating and truncating leave a device as it is, as on Linux.
        int fd = SandboxDirectory.open("/" + relative, SandboxDirectory.Access(how) | SandboxDirectory.ONoctty | SandboxDirectory.OCloexec);
        return fd >= 0 ? fd : SandboxDirectory.Unknown;
    }

    /// <summary>WASI's filestat of the device at <paramref name="relative"/> (<see cref="Is"/>):
    /// 0, or <see cref="SandboxDirectory.Unknown"/> if the host has no such device.</summary>
    public static int Stat(string relative, out WasiFilestat filestat)
    {
        filestat = default;
        if (StreamOf(relative) is >= 0 and var stream)
        {
            filestat = StreamFilestat(stream);
            return 0;
        }
        int fd = SandboxDirectory.open("/" + relative, SandboxDirectory.OPath | SandboxDirectory.OCloexec);
        if (fd < 0) return SandboxDirectory.Unknown;
        try
        {
            return SandboxDirectory.Filestat(fd, out filestat, device: true) ? 0 : SandboxDirectory.Unknown;
        }
        finally
        {
            SandboxDirectory.close(fd);
        }
    }

    /// <summary>What a stat of a standard stream says: a character device, as a terminal is,
    /// whatever the host's stream is (a handler has none to stat), and nothing of the host's.</summary>
    public static WasiFilestat StreamFilestat(int stream) =>
        WasiFilestat.Of(0, (ulong)stream + 1, WasiFilestat.CharacterDevice, nlink: 1, size: 0, atim: 0, mtim: 0, birth: 0);
}
