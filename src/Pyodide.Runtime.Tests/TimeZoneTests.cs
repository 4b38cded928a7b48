namespace Pyodide.Tests;

/// <summary>The IANA time-zone database (Debian's tzdata, compiled into
/// out/lib/pyodide/lib/zoneinfo), found by zoneinfo through the TZPATH the
/// build configures: no host path, no configuration.</summary>
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
    public void NotImportedAtStartUp()
    {
        // The database costs start-up nothing: a fresh runtime has not touched it.
        using var py = Runtimes.LoadQuiet();
        Assert.Equal(false, py.RunPython("import sys\n'zoneinfo' in sys.modules or '_zoneinfo' in sys.modules"));
    }
}
