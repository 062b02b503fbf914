using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// docs/behaviour.md#start-up: init failures (posted to <c>/runtime/init/error</c>, then a non-zero exit, without ever asking for an
/// invocation) and shutdown (SIGTERM finishes the invocation in flight, then exits 0).
/// </summary>
public sealed class InitAndShutdownTests
{
    [Theory]
    [InlineData("Dedup__Store", "postgres", "Dedup:Store")]
    [InlineData("Dedup__Store", "sqlite", "Dedup:Store is 'sqlite', which this host does not carry")]
    [InlineData("Dedup__Lease", "bogus", "Dedup:Lease")]
    [InlineData("Dedup__Retention", "00:00:00", "Dedup:Retention")]
    [InlineData("Dedup__KeySources__0", "detail..bad", "Dedup:KeySources")]
    [InlineData("Handler__Kind", "smtp", "Handler:Kind")]
    [InlineData("Handler__Http__Url", "", "Handler:Http:Url")]
    public async Task Start_BadConfiguration_PostsAnInitErrorNamingTheKey_AndExitsNonZero(string variable, string value, string key)
    {
        await using var harness = await LambdaHarness.StartAsync(new Dictionary<string, string?> { [variable] = value });

        var initError = await InitErrorAsync(harness);
        var exitCode = await harness.Host.WaitForExitAsync();

        Assert.Equal(RuntimeReplyKind.InitError, initError.Kind);
        Assert.Equal("GenesysDedup.InvalidConfiguration", initError.ErrorType);
        Assert.Equal("GenesysDedup.InvalidConfiguration", initError.Member("errorType"));
        Assert.Contains(key, initError.Member("errorMessage"), StringComparison.Ordinal);
        Assert.NotEqual(0, exitCode);
        Assert.Equal(0, harness.Runtime.PollCount);
    }

    [Fact]
    public async Task Start_TwoBadOptions_PostsOneInitErrorNamingBothKeys()
    {
        await using var harness = await LambdaHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Dedup__Retention"] = "00:00:00",
            ["Handler__Http__Url"] = "",
        });

        var initError = await InitErrorAsync(harness);
        var exitCode = await harness.Host.WaitForExitAsync();

        Assert.Equal("GenesysDedup.InvalidConfiguration", initError.ErrorType);
        Assert.Contains("Dedup:Retention", initError.Member("errorMessage"), StringComparison.Ordinal);
        Assert.Contains("Handler:Http:Url", initError.Member("errorMessage"), StringComparison.Ordinal);
        Assert.NotEqual(0, exitCode);
    }

    [Fact]
    public async Task Start_RedisUnreachable_PostsStoreUnavailableInitError_AndExitsNonZero()
    {
        var closedPort = LoopbackPort.GetFree();
        await using var harness = await LambdaHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Dedup__Store"] = "redis",
            ["Dedup__Redis__Configuration"] = $"127.0.0.1:{closedPort}",
        });

        var initError = await InitErrorAsync(harness);
        var exitCode = await harness.Host.WaitForExitAsync();

        Assert.Equal("GenesysDedup.StoreUnavailable", initError.ErrorType);
        Assert.NotEqual(0, exitCode);
        Assert.Equal(0, harness.Runtime.PollCount);
    }

    [Fact]
    public async Task Sigterm_DuringAnInvocation_FinishesIt_ThenExitsZeroWithoutAskingForMore()
    {
        await using var harness = await LambdaHarness.StartAsync();
        var eventId = $"evt-{Guid.NewGuid():N}";
        var held = harness.Downstream.HoldNext(eventId);
        var requestId = harness.Runtime.Enqueue(EventBuilder.Tutorial(eventId));
        await held.Arrived.WaitAsync(FakeLambdaRuntime.DefaultWait);

        var stopping = harness.Host.WaitForOutputAsync("Stopping: finishing the invocation in flight");
        harness.Host.Terminate();
        await stopping;
        held.Release();
        var reply = await harness.ReplyAsync(requestId);
        var exitCode = await harness.Host.WaitForExitAsync();

        Assert.Equal("processed", reply.Member("outcome"));
        Assert.Equal(0, exitCode);
        Assert.Equal(1, harness.Runtime.PollCount);
    }

    [Fact]
    public async Task Sigterm_WhileWaitingForAnInvocation_ExitsZero()
    {
        await using var harness = await LambdaHarness.StartAsync();
        await harness.Runtime.PollAsync(1).WaitAsync(FakeLambdaRuntime.DefaultWait);

        harness.Host.Terminate();
        var exitCode = await harness.Host.WaitForExitAsync();

        Assert.Equal(0, exitCode);
    }

    private static async Task<RuntimeReply> InitErrorAsync(LambdaHarness harness)
    {
        try
        {
            return await harness.Runtime.InitErrorAsync();
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}. Host output:\n{harness.Host.Output}", ex);
        }
    }
}
