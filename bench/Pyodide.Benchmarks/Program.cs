using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace Pyodide.Benchmarks;

/// <summary>
/// <c>dotnet Pyodide.Benchmarks.dll [BenchmarkDotNet options]</c>, e.g.
/// <c>--filter '*' --artifacts build/bench/bdn</c>; <c>--list flat</c> lists the benchmarks.
/// The job is short on purpose (the whole suite runs in a few minutes on a
/// busy 2-core machine): 1 launch, 3 warm-up and 7 measured iterations of
/// ~250 ms. BenchmarkDotNet runs each method in a process of its own, one after
/// another, so a figure and its class's baseline come from two processes
/// measured moments to minutes apart; bench/report.py takes the median over
/// several runs of the whole suite.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var job = Job.Default
            .WithId("Bench")
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(7)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250));
        var config = DefaultConfig.Instance
            .AddJob(job.AsDefault())
            .AddExporter(JsonExporter.Full)
            .AddColumn(StatisticColumn.Median)
            .WithOptions(ConfigOptions.DisableLogFile);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        // Non-zero when a benchmark failed (setup threw, or no result), so build.sh notices.
        bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }
}
