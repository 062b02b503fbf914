using System.Diagnostics.Metrics;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using GenesysDedup.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// The EMF lines of an invocation, with the invocation handler composed in process as the host composes it (with
/// <c>AWS_LAMBDA_FUNCTION_NAME</c> set, as in Lambda), a handler that can fail and a store that can go down.
/// </summary>
public sealed class EmfMetricsTests : IAsyncDisposable
{
    private const string FunctionName = "genesys-dedup-test";
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Now);
    private readonly ControllableHandler _handler = new();
    private readonly FaultyStore _store = new(new MemoryDedupStore());
    private readonly StringWriter _stdout = new();
    private readonly ServiceProvider _services;

    public EmfMetricsTests()
    {
        var services = InProcessLambda.Compose(new Dictionary<string, string?> { [LambdaTelemetry.FunctionNameVariable] = FunctionName });
        services.AddSingleton<TimeProvider>(_clock);
        services.AddSingleton<IDedupStore>(_store);
        services.AddSingleton<IDedupHandler>(_handler);
        // As composed, but writing to a buffer instead of stdout.
        services.AddSingleton(provider => new EmfMetrics(provider.GetRequiredService<IMeterFactory>(), FunctionName, _stdout, _clock));
        _services = services.BuildServiceProvider();
        Handler = _services.GetRequiredService<InvocationHandler>();
        Telemetry = _services.GetRequiredService<LambdaTelemetry>();
    }

    private InvocationHandler Handler { get; }

    private LambdaTelemetry Telemetry { get; }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _handler.Dispose();
    }

    [Fact]
    public async Task Finish_ProcessedEvent_WritesOneValidLineWithEveryMetric()
    {
        var lines = await InvokeAsync(EventBuilder.UniqueGenesysEvent());

        var root = EmfSpec.AssertValid(Assert.Single(lines));
        Assert.Equal(Now.ToUnixTimeMilliseconds(), root.GetProperty("_aws").GetProperty("Timestamp").GetInt64());
        Assert.All(root.GetProperty("_aws").GetProperty("CloudWatchMetrics").EnumerateArray(), d => Assert.Equal("GenesysDedup", d.GetProperty("Namespace").GetString()));
        Assert.Equal(FunctionName, root.GetProperty("FunctionName").GetString());
        Assert.Equal("processed", root.GetProperty("Outcome").GetString());
        Assert.Equal(1, root.GetProperty("Events").GetInt64());
        Assert.Equal(0, root.GetProperty("LeaseLost").GetInt64());
        Assert.Equal(2, root.GetProperty("StoreDuration").GetArrayLength()); // claim, complete
        Assert.Equal(1, root.GetProperty("HandlerDuration").GetArrayLength());
        Assert.Equal([["FunctionName", "Outcome"]], EmfSpec.DimensionsOf(root, "Events"));
        foreach (var metric in new[] { "LeaseLost", "StoreDuration", "HandlerDuration" })
        {
            Assert.Equal([["FunctionName"]], EmfSpec.DimensionsOf(root, metric));
        }
    }

    [Theory]
    [InlineData("processed")]
    [InlineData("duplicate")]
    [InlineData("failed")]
    [InlineData("store_unavailable")]
    public async Task Finish_Outcome_IsCountedUnderItsOutcomeDimension(string outcome)
    {
        var eventId = $"evt-{Guid.NewGuid():N}";
        var body = EventBuilder.Tutorial(eventId);
        switch (outcome)
        {
            case "duplicate":
                await InvokeAsync(body);
                break;
            case "failed":
                _handler.FailNext(eventId);
                break;
            case "store_unavailable":
                _store.Down = true;
                break;
        }

        var root = EmfSpec.AssertValid(Assert.Single(await InvokeAsync(body)));

        Assert.Equal(outcome, root.GetProperty("Outcome").GetString());
        Assert.Equal(1, root.GetProperty("Events").GetInt64());
    }

    [Fact]
    public async Task Finish_BatchWithSeveralOutcomes_WritesOneValidLinePerOutcome()
    {
        var failingId = $"evt-{Guid.NewGuid():N}";
        var done = EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}");
        await InvokeAsync(done);
        _handler.FailNext(failingId);
        var batch = new SqsBatchBuilder();
        batch.Add(EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}"));
        batch.Add(EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}"));
        batch.Add(EventBuilder.Republish(done));
        batch.Add(EventBuilder.Tutorial(failingId));
        batch.AddWithoutBody();

        var roots = (await InvokeAsync(batch.Build())).Select(EmfSpec.AssertValid).ToList();

        var counts = roots.ToDictionary(r => r.GetProperty("Outcome").GetString()!, r => r.GetProperty("Events").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["processed"] = 2, ["duplicate"] = 1, ["failed"] = 1, ["invalid"] = 1 }, counts);
        Assert.Single(roots, r => r.TryGetProperty("LeaseLost", out _));
    }

    [Fact]
    public async Task Finish_MoreDurationsThanOneDocumentHolds_SpreadsThemOverLines()
    {
        var batch = new SqsBatchBuilder();
        for (var i = 0; i < 60; i++)
        {
            batch.Add(EventBuilder.Tutorial($"evt-{Guid.NewGuid():N}"));
        }

        var roots = (await InvokeAsync(batch.Build())).Select(EmfSpec.AssertValid).ToList();

        Assert.Equal(2, roots.Count);
        Assert.Equal(120, roots.Sum(r => r.TryGetProperty("StoreDuration", out var values) ? values.GetArrayLength() : 0));
        Assert.Equal(60, roots.Sum(r => r.TryGetProperty("HandlerDuration", out var values) ? values.GetArrayLength() : 0));
        Assert.Equal(60, roots.Sum(r => r.TryGetProperty("Events", out var events) ? events.GetInt64() : 0));
    }

    [Fact]
    public async Task Finish_InvocationThatMeasuredNothing_WritesNothing()
    {
        var lines = await InvokeAsync("""{"Records":[{"messageId":"m1","body":"{}","eventSource":"aws:sqs"}], oops"""u8.ToArray());

        Assert.Empty(lines);
    }

    [Fact]
    public async Task Finish_Event_WritesNeitherPayloadNorKey()
    {
        var marker = $"secret-{Guid.NewGuid():N}";
        var eventId = $"evt-{Guid.NewGuid():N}";

        var line = Assert.Single(await InvokeAsync(EventBuilder.Tutorial(eventId, data: marker)));

        Assert.DoesNotContain(marker, line, StringComparison.Ordinal);
        Assert.DoesNotContain(eventId, line, StringComparison.Ordinal);
    }

    // Handles one invocation as the runtime loop does and returns the EMF lines it wrote.
    private async Task<IReadOnlyList<string>> InvokeAsync(byte[] payload)
    {
        var invocation = new Invocation(Guid.NewGuid().ToString(), Now + TimeSpan.FromMinutes(1), null, payload);
        await Handler.HandleAsync(invocation);
        await Telemetry.FinishAsync(invocation.RequestId, invocation.Deadline);
        var written = _stdout.ToString();
        _stdout.GetStringBuilder().Clear();
        var lines = written.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(lines, EmfSpec.Lines(written)); // nothing else on the writer
        return lines;
    }
}
