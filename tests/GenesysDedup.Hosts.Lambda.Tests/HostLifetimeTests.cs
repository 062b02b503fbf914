using System.Collections.Concurrent;
using System.Diagnostics;
using GenesysDedup.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// The runtime on the generic host, in process against the fake Runtime API, with hosted services the tests add: a
/// background service that fails (at init, or later) is observed, and the hosted services stop newest first.
/// </summary>
public sealed class HostLifetimeTests
{
    [Fact]
    public async Task Run_BackgroundServiceFailsDuringInit_PostsAnInitError_AndExitsNonZero()
    {
        await using var runtime = await FakeLambdaRuntime.StartAsync();
        var builder = Program.CreateBuilder();
        builder.Services.AddHostedService(_ => new FailingService(Task.CompletedTask, waitAtStart: true));

        var exitCode = await RunAsync(builder, runtime);
        var initError = await runtime.InitErrorAsync();

        Assert.Equal(1, exitCode);
        Assert.Equal("GenesysDedup.InitFailed", initError.ErrorType);
        Assert.Contains("the background work broke", initError.Member("errorMessage"), StringComparison.Ordinal);
        Assert.Equal(0, runtime.PollCount);
    }

    [Fact]
    public async Task Run_BackgroundServiceFailsBetweenInvocations_StopsTheRuntime_AndExitsNonZero()
    {
        await using var runtime = await FakeLambdaRuntime.StartAsync();
        var trigger = new TaskCompletionSource();
        var builder = Program.CreateBuilder();
        builder.Services.AddHostedService(_ => new FailingService(trigger.Task, waitAtStart: false));

        var run = RunAsync(builder, runtime);
        var reply = await runtime.ReplyAsync(runtime.Enqueue(EventBuilder.UniqueGenesysEvent()));
        await runtime.PollAsync(2).WaitAsync(FakeLambdaRuntime.DefaultWait);
        trigger.SetResult();
        var exitCode = await run.WaitAsync(FakeLambdaRuntime.DefaultWait);

        Assert.Equal("processed", reply.Member("outcome"));
        Assert.Equal(1, exitCode);
        Assert.False(runtime.HasInitError);
    }

    [Fact]
    public async Task Run_Stopped_StopsTheHostedServicesNewestFirst_AndExitsZero()
    {
        await using var runtime = await FakeLambdaRuntime.StartAsync();
        var stopped = new ConcurrentQueue<string>();
        IHostApplicationLifetime? lifetime = null;
        var builder = Program.CreateBuilder();
        // AddHostedService would register one RecordingService only (TryAddEnumerable keys on the type).
        builder.Services.AddSingleton<IHostedService>(sp =>
        {
            lifetime = sp.GetRequiredService<IHostApplicationLifetime>();
            return new RecordingService("first", stopped);
        });
        builder.Services.AddSingleton<IHostedService>(_ => new RecordingService("second", stopped));

        var run = RunAsync(builder, runtime);
        await runtime.PollAsync(1).WaitAsync(FakeLambdaRuntime.DefaultWait);
        lifetime!.StopApplication(); // what SIGTERM does through the host's console lifetime
        var exitCode = await run.WaitAsync(FakeLambdaRuntime.DefaultWait);

        Assert.Equal(0, exitCode);
        Assert.Equal(["second", "first"], stopped);
    }

    private static async Task<int> RunAsync(HostApplicationBuilder builder, FakeLambdaRuntime runtime)
    {
        using var client = new LambdaRuntimeClient(runtime.RuntimeApi);
        return await Program.RunAsync(builder, client, Stopwatch.GetTimestamp());
    }

    private sealed class FailingService(Task trigger, bool waitAtStart) : BackgroundService
    {
        public override async Task StartAsync(CancellationToken cancellationToken)
        {
            await base.StartAsync(cancellationToken);
            if (waitAtStart)
            {
                await Task.WhenAny(ExecuteTask!); // has failed before the host's start returns
            }
        }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await trigger.WaitAsync(stoppingToken);
            throw new IOException("the background work broke");
        }
    }

    private sealed class RecordingService(string name, ConcurrentQueue<string> stopped) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            stopped.Enqueue(name);
            return Task.CompletedTask;
        }
    }
}
