namespace Pyodide.Tests;

/// <summary>The IANA time-zone database (Debian's tzdata, compiled into
/// out/lib/pyodide/lib/zoneinfo), found by zoneinfo through the TZPATH the
/// build configures: no host path, no configuration; and local time, which
/// follows TZ as glibc's does (src/guest/bridge/timezone.c).</summary>
public sealed class TimeZoneTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    [Fact]
    public void NewYorkInSummerIsFourHoursBehindUtc()
    {
        Expect.Double(-4 * 3600, _py.RunPython("""
            from datetime import datetime
            from zoneinfo import ZoneInfo
            datetime(2026, 7, 1, tzinfo=ZoneInfo("America/New_York")).utcoffset().total_seconds()
            """));
    }

    [Theory]
    [InlineData("America/New_York", "2026-01-15 12:00", "-05:00 EST")]
    [InlineData("Europe/Paris", "2026-07-01 12:00", "+02:00 CEST")]
    [InlineData("Europe/London", "2026-01-15 12:00", "+00:00 GMT")]
    [InlineData("Asia/Kolkata", "2026-03-01 00:00", "+05:30 IST")]
    [InlineData("Australia/Sydney", "2026-01-15 12:00", "+11:00 AEDT")]
    [InlineData("Asia/Tokyo", "1990-06-01 00:00", "+09:00 JST")]
    [InlineData("US/Pacific", "2026-07-01 12:00", "-07:00 PDT")]  // an old name, from `backward`
    [InlineData("UTC", "2026-07-01 12:00", "+00:00 UTC")]
    public void OffsetsAndAbbreviations(string zone, string local, string expected)
    {
        Expect.Str(expected, _py.RunPython($"""
            from datetime import datetime
            from zoneinfo import ZoneInfo
            d = datetime.fromisoformat('{local}').replace(tzinfo=ZoneInfo('{zone}'))
            d.isoformat()[-6:] + ' ' + d.tzname()
            """));
    }

    [Fact]
    public void DaylightSavingTransitionsAndFold()
    {
        // 2026-03-08 02:30 does not exist in New York, 2026-11-01 01:30 happens twice.
        Expect.Str("2026-03-08T07:30:00+00:00 -4.0 -5.0 2026-11-01T05:30:00+00:00", _py.RunPython("""
            from datetime import datetime, timezone
            from zoneinfo import ZoneInfo
            ny = ZoneInfo('America/New_York')
            gap = datetime(2026, 3, 8, 2, 30, tzinfo=ny)
            first = datetime(2026, 11, 1, 1, 30, tzinfo=ny)
            second = first.replace(fold=1)
            ' '.join([gap.astimezone(timezone.utc).isoformat(),
                      str(first.utcoffset().total_seconds() / 3600),
                      str(second.utcoffset().total_seconds() / 3600),
                      first.astimezone(timezone.utc).isoformat()])
            """));
    }

    [Fact]
    public void TheWholeDatabaseIsThereAndUnknownZonesFail()
    {
        Expect.Str("('/lib/zoneinfo',) True True ZoneInfoNotFoundError", _py.RunPython("""
            import zoneinfo
            names = zoneinfo.available_timezones()
            def missing():
                try:
                    zoneinfo.ZoneInfo('Mars/Olympus_Mons')
                    return 'found'
                except zoneinfo.ZoneInfoNotFoundError as e:
                    return type(e).__name__
            some = {"Europe/Berlin", "Pacific/Auckland", "America/Argentina/Buenos_Aires"}
            f'{zoneinfo.TZPATH} {len(names) > 550} {some <= names} {missing()}'
            """));
    }

    [Fact]
    public void LocalTimeIsUtcUntilTheProgramSetsTz()
    {
        // The sandbox's environment has no TZ and its file system no /etc/localtime:
        // whatever the host's zone, local time is UTC, as on a Linux machine set to UTC.
        using var py = Runtimes.LoadQuiet();
        Expect.Str("('UTC', 'UTC') 0 0 0 True UTC +0000 1700000000", py.RunPython("""
            import time
            tm = time.localtime(1700000000)
            (f"{time.tzname} {time.timezone} {time.altzone} {time.daylight} {tm == time.gmtime(1700000000)} "
             f"{time.strftime('%Z %z', tm)} {int(time.mktime(tm))}")
            """));
    }

    [Theory]
    // A zone of the database, by name, with ':' and by path.
    [InlineData("Europe/Paris", "('CET', 'CEST') -3600 -7200 1 | 23:13 CET +0100 0 | 14:00 CEST +0200 1")]
    [InlineData(":America/New_York", "('EST', 'EDT') 18000 14400 1 | 17:13 EST -0500 0 | 08:00 EDT -0400 1")]
    [InlineData("/lib/zoneinfo/Asia/Kolkata", "('IST', 'IST') -19800 -19800 0 | 03:43 IST +0530 0 | 17:30 IST +0530 0")]
    // POSIX rules, north and south of the equator, and one glibc cannot read (kept at UTC, named).
    [InlineData("EST+05EDT,M3.2.0,M11.1.0", "('EST', 'EDT') 18000 14400 1 | 17:13 EST -0500 0 | 08:00 EDT -0400 1")]
    [InlineData("AEST-10AEDT-11,M10.1.0,M4.1.0/3", "('AEST', 'AEDT') -36000 -39600 1 | 09:13 AEDT +1100 1 | 22:00 AEST +1000 0")]
    [InlineData("Mars/Olympus_Mons", "('Mars', 'Mars') 0 0 0 | 22:13 Mars +0000 0 | 12:00 Mars +0000 0")]
    public void TzsetFollowsTzAsGlibcDoes(string tz, string expected)
    {
        // 1700000000 is 2023-11-14 22:13:20 UTC; the second time is 2026-07-01 12:00 UTC.
        using var py = Runtimes.LoadQuiet();
        Expect.Str(expected, py.RunPython($$"""
            import os, time
            os.environ["TZ"] = "{{tz}}"
            time.tzset()
            def show(t):
                tm = time.localtime(t)
                assert time.mktime(tm) == t, (time.mktime(tm), t)
                return f"{time.strftime('%H:%M %Z %z', tm)} {tm.tm_isdst}"
            f"{time.tzname} {time.timezone} {time.altzone} {time.daylight} | {show(1700000000)} | {show(1782907200)}"
            """));
    }

    [Fact]
    public void DatetimeAndTheSkippedAndRepeatedHoursFollowTheZone()
    {
        // In New York 2026-03-08 02:30 is skipped (taken as 03:30 EDT, as glibc's mktime
        // does) and 2026-11-01 01:30 happens twice (fold 0: EDT, fold 1: EST).
        using var py = Runtimes.LoadQuiet();
        Expect.Str("1772955000 2026-03-08 03:30:00 EDT | 1793511000 1793514600 EDT EST | -5.0", py.RunPython("""
            import os, time
            from datetime import datetime
            os.environ["TZ"] = "America/New_York"
            time.tzset()
            gap = int(time.mktime((2026, 3, 8, 2, 30, 0, 0, 0, -1)))
            first, second = datetime(2026, 11, 1, 1, 30), datetime(2026, 11, 1, 1, 30, fold=1)
            (f"{gap} {time.strftime('%Y-%m-%d %H:%M:%S %Z', time.localtime(gap))} | "
             f"{int(first.timestamp())} {int(second.timestamp())} {first.astimezone().tzname()} {second.astimezone().tzname()} | "
             f"{datetime(2026, 1, 1).astimezone().utcoffset().total_seconds() / 3600}")
            """));
    }

    [Fact]
    public void UnsettingTzGoesBackToUtcAndSnapshotsKeepTheZone()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pyodide-tz-{Guid.NewGuid():N}.snapshot");
        try
        {
            using (var py = Runtimes.LoadQuiet())
            {
                py.RunPython("import os, time\nos.environ['TZ'] = 'Asia/Tokyo'\ntime.tzset()");
                py.SaveSnapshot(path);
                Expect.Str("('UTC', 'UTC') 0", py.RunPython("del os.environ['TZ']\ntime.tzset()\nf'{time.tzname} {time.localtime(0).tm_hour}'"));
            }
            using var restored = Runtimes.Load(new PyodideOptions { Stdout = _ => { }, Stderr = _ => { }, Snapshot = path });
            Expect.Str("('JST', 'JST') 9", restored.RunPython("import time\nf'{time.tzname} {time.localtime(0).tm_hour}'"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NotImportedAtStartUp()
    {
        // The database costs start-up nothing: a fresh runtime has not touched it.
        using var py = Runtimes.LoadQuiet();
        Assert.Equal(false, py.RunPython("import sys\n'zoneinfo' in sys.modules or '_zoneinfo' in sys.modules"));
    }
}
